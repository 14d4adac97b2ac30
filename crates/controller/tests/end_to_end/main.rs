//! End-to-end tests: the real `unstuck-controller` binary, in `enforce` mode, talking through its
//! real `kube::Client` to the `kube-stand-in` API test double. Each test asserts on the requests
//! the stand-in answered and on the objects it holds afterwards.

mod flux;
mod harness;
mod scenarios;
mod simulated;
