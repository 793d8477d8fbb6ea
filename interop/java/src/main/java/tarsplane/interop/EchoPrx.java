package tarsplane.interop;

import com.qq.tars.protocol.annotation.Servant;

/**
 * {@code Test.EchoServer.EchoObj} as TarsJava sees it: {@code string echo(string s)} (argument tag
 * 1, result tag 0), served in the tests by the Rust {@code tarsplane_interop::Echo}, and
 * {@code nope()}, which that servant does not have (it answers -3), for a failed call.
 */
@Servant
public interface EchoPrx {
    String echo(String s);

    void nope();
}
