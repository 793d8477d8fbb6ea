module tarsplane/bench/peers/go

go 1.22

require github.com/TarsCloud/TarsGo v1.4.6

require go.uber.org/automaxprocs v1.5.2 // indirect
