using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>
/// Kubernetes' defaulting (pkg/apis/core/v1/defaults.go) for the fields ServiceProxy reads.
/// Runs before validation, so a defaulted field is never reported as missing.
/// </summary>
internal static class ObjectDefaults
{
    public static Service Apply(Service service)
    {
        var spec = service.Spec;
        var type = string.IsNullOrEmpty(spec.Type) ? ServiceTypes.ClusterIP : spec.Type;
        var affinity = string.IsNullOrEmpty(spec.SessionAffinity) ? SessionAffinities.None : spec.SessionAffinity;

        // As Kubernetes' SetDefaults_Service: None drops the config, so patching ClientIP back to None is valid.
        var affinityConfig = affinity == SessionAffinities.None ? null : spec.SessionAffinityConfig;
        if (affinity == SessionAffinities.ClientIP && affinityConfig?.ClientIP?.TimeoutSeconds is null)
        {
            affinityConfig = new SessionAffinityConfig
            {
                ClientIP = new ClientIPConfig { TimeoutSeconds = SessionAffinities.DefaultTimeoutSeconds },
            };
        }

        var externalPolicy = spec.ExternalTrafficPolicy;
        if (string.IsNullOrEmpty(externalPolicy) && type is ServiceTypes.NodePort or ServiceTypes.LoadBalancer)
        {
            externalPolicy = "Cluster";
        }

        return service with
        {
            Metadata = DefaultNamespace(service.Metadata),
            Spec = spec with
            {
                Type = type,
                SessionAffinity = affinity,
                SessionAffinityConfig = affinityConfig,
                ExternalTrafficPolicy = externalPolicy,
                Ports = spec.Ports?.Select(DefaultPort).ToArray(),
            },
        };
    }

    public static Endpoints Apply(Endpoints endpoints) => endpoints with
    {
        Metadata = DefaultNamespace(endpoints.Metadata),
        Subsets = endpoints.Subsets?.Select(subset => subset with
        {
            Ports = subset.Ports?.Select(p => string.IsNullOrEmpty(p.Protocol) ? p with { Protocol = Protocols.Tcp } : p).ToArray(),
        }).ToArray(),
    };

    public static Pod Apply(Pod pod) => pod with
    {
        Metadata = DefaultNamespace(pod.Metadata),
        Spec = pod.Spec is null ? null : pod.Spec with
        {
            Containers = pod.Spec.Containers?.Select(c => c with
            {
                Ports = c.Ports?.Select(p => string.IsNullOrEmpty(p.Protocol) ? p with { Protocol = Protocols.Tcp } : p).ToArray(),
                ReadinessProbe = c.ReadinessProbe is null ? null : DefaultProbe(c.ReadinessProbe),
            }).ToArray(),
        },
    };

    /// <summary>
    /// The v1 conversion of a Node's pod CIDRs: <c>podCIDRs</c> starts with <c>podCIDR</c>, which wins
    /// when the two disagree (older clients set only it), and <c>podCIDR</c> is the first of <c>podCIDRs</c>.
    /// </summary>
    public static Node Apply(Node node)
    {
        if (node.Spec is not { } spec)
        {
            return node;
        }

        if (!string.IsNullOrEmpty(spec.PodCIDR) && (spec.PodCIDRs is not [var first, ..] || first != spec.PodCIDR))
        {
            return node with { Spec = spec with { PodCIDRs = [spec.PodCIDR] } };
        }

        return string.IsNullOrEmpty(spec.PodCIDR) && spec.PodCIDRs is [var primary, ..]
            ? node with { Spec = spec with { PodCIDR = primary } }
            : node;
    }

    /// <summary>SetDefaults_Probe, SetDefaults_HTTPGetAction and GRPCAction's <c>service: ""</c>.</summary>
    private static Probe DefaultProbe(Probe probe) => probe with
    {
        TimeoutSeconds = probe.TimeoutSeconds == 0 ? 1 : probe.TimeoutSeconds,
        PeriodSeconds = probe.PeriodSeconds == 0 ? 10 : probe.PeriodSeconds,
        SuccessThreshold = probe.SuccessThreshold == 0 ? 1 : probe.SuccessThreshold,
        FailureThreshold = probe.FailureThreshold == 0 ? 3 : probe.FailureThreshold,
        HttpGet = probe.HttpGet is not { } http ? null : http with
        {
            Path = string.IsNullOrEmpty(http.Path) ? "/" : http.Path,
            Scheme = string.IsNullOrEmpty(http.Scheme) ? "HTTP" : http.Scheme,
        },
        Grpc = probe.Grpc is not { } grpc ? null : grpc with { Service = grpc.Service ?? string.Empty },
    };

    private static ServicePort DefaultPort(ServicePort port)
    {
        var protocol = string.IsNullOrEmpty(port.Protocol) ? Protocols.Tcp : port.Protocol;

        // Kubernetes copies port into an unset (or 0 / "") targetPort. With port itself missing
        // that would add a second, misleading error on targetPort, so it is left unset then.
        var targetPort = port.TargetPort;
        var unset = targetPort is null || targetPort.Value.IntValue == 0 || targetPort.Value.StringValue == string.Empty;
        if (unset && port.Port != 0)
        {
            targetPort = IntOrString.FromInt(port.Port);
        }

        return port with { Protocol = protocol, TargetPort = targetPort };
    }

    private static ObjectMeta DefaultNamespace(ObjectMeta meta) =>
        string.IsNullOrEmpty(meta.Namespace) ? meta with { Namespace = ObjectMeta.DefaultNamespace } : meta;
}
