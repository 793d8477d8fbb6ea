//! The `TarsJava` client program (`interop/java`, tars-core pinned in its `pom.xml`), built by
//! `interop/java/build`.

use std::path::Path;

/// `--add-exports`: `TarsJava` 1.7.3 casts the generic return type of a proxy's `promise_`
/// methods (`StatFPrx.promise_reportMicMsg`, what its stat reporter calls) to the JDK's internal
/// `ParameterizedTypeImpl`, which Java 17 refuses without it (`IllegalAccessError` when the
/// proxy is made). The rest only makes the short-lived JVM cheaper on two cores.
pub const JVM_OPTIONS: &[&str] = &[
    "--add-exports=java.base/sun.reflect.generics.reflectiveObjects=ALL-UNNAMED",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
];

/// The built program: the jar and its dependencies' class path.
///
/// # Panics
///
/// With the instruction to build it when `interop/java/build` has not been run.
pub fn java_class_path() -> String {
    let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("java/target");
    let jar = target.join("tarsplane-java-interop.jar");
    let deps = std::fs::read_to_string(target.join("classpath.txt")).unwrap_or_default();
    assert!(
        jar.is_file() && !deps.trim().is_empty(),
        "the TarsJava client is not built: run interop/java/build (scripts/test does)"
    );
    format!("{}:{}", jar.display(), deps.trim())
}
