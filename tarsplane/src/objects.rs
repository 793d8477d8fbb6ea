//! The framework objects and their standard ports (`shared/DESIGN.md` §1).

/// `(object name, standard port, service)` for every object K8SFramework serves.
pub const FRAMEWORK_OBJECTS: &[(&str, u16, &str)] = &[
    ("tars.tarsregistry.QueryObj", 17890, "registry"),
    ("tars.tarsregistry.RegistryObj", 17891, "registry"),
    ("tars.tarsstat.StatObj", 17000, "stat"),
    ("tars.tarsproperty.PropertyObj", 14000, "property"),
    ("tars.tarsnotify.NotifyObj", 13111, "notify"),
    ("tars.tarslog.LogObj", 12111, "log"),
    ("tars.tarslog.TopologyObj", 13030, "log (call chains)"),
    ("tars.tarsconfig.ConfigObj", 11111, "config"),
    ("tars.tarsAdminRegistry.AdminRegObj", 19111, "adminreg"),
    ("tars.tarsquerystat.QueryObj", 16000, "stat (monitor query)"),
    (
        "tars.tarsqueryproperty.QueryObj",
        15000,
        "property (monitor query)",
    ),
];

/// A service `tarsplane serve` can run alone (one per Kubernetes workload).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    /// `tars.tarsregistry.QueryObj` and `RegistryObj`.
    Registry,
    /// `tars.tarsstat.StatObj`.
    Stat,
    /// `tars.tarsproperty.PropertyObj`.
    Property,
    /// `tars.tarsnotify.NotifyObj`.
    Notify,
    /// `tars.tarslog.LogObj`.
    Log,
    /// `tars.tarsconfig.ConfigObj`.
    Config,
    /// `tars.tarsAdminRegistry.AdminRegObj` (also answering the lower-case spelling).
    AdminReg,
    /// Kubernetes events into the store (no object; needs a Kubernetes namespace).
    KEvent,
    /// `tars.tarsquerystat.QueryObj`.
    QueryStat,
    /// `tars.tarsqueryproperty.QueryObj`.
    QueryProperty,
}

impl Service {
    /// Every service, as `tarsplane up` runs them.
    pub const ALL: [Service; 10] = [
        Service::Registry,
        Service::Stat,
        Service::Property,
        Service::Notify,
        Service::Log,
        Service::Config,
        Service::AdminReg,
        Service::KEvent,
        Service::QueryStat,
        Service::QueryProperty,
    ];

    /// The name on the command line (`tarsplane serve <name>`).
    pub fn name(self) -> &'static str {
        match self {
            Service::Registry => "registry",
            Service::Stat => "stat",
            Service::Property => "property",
            Service::Notify => "notify",
            Service::Log => "log",
            Service::Config => "config",
            Service::AdminReg => "adminreg",
            Service::KEvent => "kevent",
            Service::QueryStat => "querystat",
            Service::QueryProperty => "queryproperty",
        }
    }

    /// The service named `name`.
    pub fn from_name(name: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The service that serves `object`.
    pub fn of_object(object: &str) -> Option<Service> {
        Some(match object {
            "tars.tarsregistry.QueryObj" | "tars.tarsregistry.RegistryObj" => Service::Registry,
            "tars.tarsstat.StatObj" => Service::Stat,
            "tars.tarsproperty.PropertyObj" => Service::Property,
            "tars.tarsnotify.NotifyObj" => Service::Notify,
            "tars.tarslog.LogObj" | "tars.tarslog.TopologyObj" => Service::Log,
            "tars.tarsconfig.ConfigObj" => Service::Config,
            tars_adminreg::OBJECT | tars_adminreg::OBJECT_LOWER => Service::AdminReg,
            "tars.tarsquerystat.QueryObj" => Service::QueryStat,
            "tars.tarsqueryproperty.QueryObj" => Service::QueryProperty,
            _ => return None,
        })
    }
}
