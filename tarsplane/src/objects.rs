//! The framework objects and their standard ports (`shared/DESIGN.md` §1).

/// `(object name, standard port, service)` for every object K8SFramework serves.
pub const FRAMEWORK_OBJECTS: &[(&str, u16, &str)] = &[
    ("tars.tarsregistry.QueryObj", 17890, "registry"),
    ("tars.tarsregistry.RegistryObj", 17891, "registry"),
    ("tars.tarsstat.StatObj", 17000, "stat"),
    ("tars.tarsproperty.PropertyObj", 14000, "property"),
    ("tars.tarsnotify.NotifyObj", 13111, "notify"),
    ("tars.tarslog.LogObj", 12111, "log"),
    ("tars.tarsquerystat.QueryObj", 16000, "stat (monitor query)"),
    (
        "tars.tarsqueryproperty.QueryObj",
        15000,
        "property (monitor query)",
    ),
];
