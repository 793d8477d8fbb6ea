//! Graphs of closed traces aggregated per day and id (K8SFramework keeps them for the life of
//! the day's aggregator and re-indexes each one every 300 s): traces with the same shape add
//! their counts and times to one graph document.

use std::collections::{BTreeMap, HashMap};

use crate::graph::Graph;
use crate::metrics::{Bound, Metrics};

/// What [`Graphs::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// A new id for the day.
    New,
    /// Summed into the day's graph with the same id.
    Merged,
    /// The day already has `max_graphs_per_day` graphs; counted in
    /// `tars_trace_bound_hits_total{bound="graphs_per_day"}`.
    Full,
    /// An empty graph (a trace without a root): not kept, since no query can find it.
    Empty,
}

/// The day's graphs by id, with which changed since [`Graphs::take_changed`].
#[derive(Debug, Clone)]
pub struct Graphs {
    max_per_day: usize,
    days: BTreeMap<String, HashMap<i64, Kept>>,
    metrics: Metrics,
}

#[derive(Debug, Clone)]
struct Kept {
    graph: Graph,
    changed: bool,
}

/// A graph that changed, to be (re)written: index date, id and the day's sums so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The day (`YYYYMMDD`).
    pub day: String,
    /// The graph id (its document id).
    pub id: i64,
    /// The aggregated graph.
    pub graph: Graph,
}

impl Graphs {
    /// An empty accumulator keeping at most `max_per_day` graphs per day.
    pub fn new(max_per_day: usize, metrics: Metrics) -> Self {
        Self {
            max_per_day,
            days: BTreeMap::new(),
            metrics,
        }
    }

    /// Adds `graph` to day `day` (`YYYYMMDD`, the caller's choice) under [`Graph::id`].
    /// Cost: the id hash plus O(keys) for a merge.
    pub fn add(&mut self, day: &str, graph: &Graph) -> Added {
        if graph.is_empty() {
            return Added::Empty;
        }
        let id = graph.id();
        let graphs = self.days.entry(day.to_owned()).or_default();
        if let Some(kept) = graphs.get_mut(&id) {
            // Same id, same shape: the kind cannot differ unless two shapes collide, and then
            // the reference sums them too.
            kept.graph.merge(graph);
            kept.changed = true;
            self.metrics.graph(false);
            return Added::Merged;
        }
        if graphs.len() >= self.max_per_day {
            self.metrics.bound_hit(Bound::GraphsPerDay);
            return Added::Full;
        }
        graphs.insert(
            id,
            Kept {
                graph: graph.clone(),
                changed: true,
            },
        );
        self.metrics.graph(true);
        Added::New
    }

    /// Keeps `graph` for `day` as already written (not changed): graphs read back from the
    /// store at start, so that a restart adds to the day's counts instead of starting over.
    /// Ignored when the day has the id already or is full.
    pub fn seed(&mut self, day: &str, graph: Graph) {
        if graph.is_empty() {
            return;
        }
        let graphs = self.days.entry(day.to_owned()).or_default();
        if graphs.len() < self.max_per_day {
            graphs.entry(graph.id()).or_insert(Kept {
                graph,
                changed: false,
            });
        }
    }

    /// The day's graph with id `id`.
    pub fn get(&self, day: &str, id: i64) -> Option<&Graph> {
        self.days.get(day)?.get(&id).map(|kept| &kept.graph)
    }

    /// Graphs kept for `day`.
    pub fn len(&self, day: &str) -> usize {
        self.days.get(day).map_or(0, HashMap::len)
    }

    /// Whether no graph is kept for any day.
    pub fn is_empty(&self) -> bool {
        self.days.values().all(HashMap::is_empty)
    }

    /// Copies of the graphs added to since the last call (by day, then id), now marked
    /// unchanged. A write that fails should [`Graphs::mark_changed`] them again.
    pub fn take_changed(&mut self) -> Vec<Changed> {
        let mut out = Vec::new();
        for (day, graphs) in &mut self.days {
            let start = out.len();
            for (&id, kept) in graphs.iter_mut().filter(|(_, kept)| kept.changed) {
                kept.changed = false;
                out.push(Changed {
                    day: day.clone(),
                    id,
                    graph: kept.graph.clone(),
                });
            }
            out[start..].sort_by_key(|c| c.id);
        }
        out
    }

    /// Marks a graph changed again (its write failed); unknown ids are ignored.
    pub fn mark_changed(&mut self, day: &str, id: i64) {
        if let Some(kept) = self.days.get_mut(day).and_then(|g| g.get_mut(&id)) {
            kept.changed = true;
        }
    }

    /// Forgets the days `keep` refuses (e.g. days before yesterday); their graphs are final.
    pub fn retain_days(&mut self, mut keep: impl FnMut(&str) -> bool) {
        self.days.retain(|day, _| keep(day));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Edge, GraphKind, Vertex};

    fn graph(to: &str, time: i64) -> Graph {
        Graph {
            kind: GraphKind::Server,
            vertexes: vec![
                Vertex {
                    vertex: "A".into(),
                    call_count: 1,
                    call_time: time,
                },
                Vertex {
                    vertex: to.into(),
                    call_count: 1,
                    call_time: time,
                },
            ],
            edges: vec![Edge {
                from_vertex: "A".into(),
                to_vertex: to.into(),
                call_count: 1,
                call_time: time,
                order: 0,
            }],
        }
    }

    #[test]
    fn same_shape_merges_and_the_day_bound_refuses_new_shapes() {
        let metrics = Metrics::default();
        let mut graphs = Graphs::new(1, metrics.clone());
        assert_eq!(graphs.add("20240328", &graph("B", 5)), Added::New);
        assert_eq!(graphs.add("20240328", &graph("B", 7)), Added::Merged);
        assert_eq!(graphs.add("20240328", &graph("C", 1)), Added::Full);
        assert_eq!(graphs.add("20240329", &graph("C", 1)), Added::New);
        assert_eq!(
            graphs.add("20240329", &Graph::new(GraphKind::Server)),
            Added::Empty
        );
        let id = graph("B", 0).id();
        let kept = graphs.get("20240328", id).expect("kept");
        assert_eq!(kept.edges[0].call_count, 2);
        assert_eq!(kept.edges[0].call_time, 12);
        assert_eq!(metrics.bound_hits(Bound::GraphsPerDay), 1);

        let changed = graphs.take_changed();
        assert_eq!(changed.len(), 2);
        assert_eq!(changed[0].day, "20240328");
        assert!(graphs.take_changed().is_empty());
        graphs.mark_changed("20240328", id);
        assert_eq!(graphs.take_changed().len(), 1);
        graphs.retain_days(|day| day >= "20240329");
        assert_eq!(graphs.len("20240328"), 0);
        assert_eq!(graphs.len("20240329"), 1);
    }
}
