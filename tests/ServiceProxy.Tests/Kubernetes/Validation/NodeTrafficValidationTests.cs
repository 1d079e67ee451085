using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Validation;

/// <summary>kube-apiserver's checks of healthCheckNodePort, loadBalancerSourceRanges (and its annotation) and the traffic policies.</summary>
public sealed class NodeTrafficValidationTests
{
    private const string RangesMessage = "must be a list of IP ranges. For example, 10.240.0.0/24,10.250.0.0/24 ";

    private static string[] Errors(Service service) =>
        ObjectValidator.Default.Validate(ObjectValidator.Default.ApplyDefaults(service)).Select(e => e.ToString()).ToArray();

    private static Service Svc(string type, Func<ServiceSpec, ServiceSpec> spec, IReadOnlyDictionary<string, string>? annotations = null) =>
        ServiceValidationTests.Valid(s => spec(s with { Type = type })) with { Metadata = new ObjectMeta { Name = "redis", Annotations = annotations } };

    public static TheoryData<string, string?, int, string?> HealthCheckNodePorts => new()
    {
        { ServiceTypes.LoadBalancer, "Local", 30123, null },
        { ServiceTypes.LoadBalancer, "Local", 0, null },
        { ServiceTypes.LoadBalancer, "Cluster", 30123, "spec.healthCheckNodePort: Invalid value: 30123: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'" },
        { ServiceTypes.NodePort, "Local", 30123, "spec.healthCheckNodePort: Invalid value: 30123: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'" },
        { ServiceTypes.ClusterIP, null, 30123, "spec.healthCheckNodePort: Invalid value: 30123: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'" },
    };

    [Theory]
    [MemberData(nameof(HealthCheckNodePorts))]
    public void HealthCheckNodePort_only_for_LoadBalancer_with_external_policy_Local(string type, string? policy, int port, string? expected)
    {
        var errors = Errors(Svc(type, s => s with { ExternalTrafficPolicy = policy, HealthCheckNodePort = port }));
        Assert.Equal(expected is null ? [] : [expected], errors);
    }

    public static TheoryData<string, string[], string?> SourceRanges => new()
    {
        { ServiceTypes.LoadBalancer, ["10.0.0.0/8", "192.168.1.0/24"], null },
        { ServiceTypes.LoadBalancer, [" 10.0.0.0/8 "], null },
        { ServiceTypes.LoadBalancer, ["10.0.0.1/8"], null },
        { ServiceTypes.LoadBalancer, ["2001:db8::/32"], null },
        { ServiceTypes.LoadBalancer, ["10.0.0.0"], "spec.LoadBalancerSourceRanges: Invalid value: \"[10.0.0.0]\": " + RangesMessage },
        { ServiceTypes.LoadBalancer, ["10.0.0.0/8", "nope"], "spec.LoadBalancerSourceRanges: Invalid value: \"[10.0.0.0/8 nope]\": " + RangesMessage },
        { ServiceTypes.LoadBalancer, ["10.0.0.0/33"], "spec.LoadBalancerSourceRanges: Invalid value: \"[10.0.0.0/33]\": " + RangesMessage },
        { ServiceTypes.NodePort, ["10.0.0.0/8"], "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'" },
    };

    [Theory]
    [MemberData(nameof(SourceRanges))]
    public void LoadBalancerSourceRanges_are_CIDRs_on_LoadBalancer_services(string type, string[] ranges, string? expected)
    {
        var errors = Errors(Svc(type, s => s with { LoadBalancerSourceRanges = ranges }));
        Assert.Equal(expected is null ? [] : [expected], errors);
    }

    [Theory]
    [InlineData(ServiceTypes.LoadBalancer, "10.0.0.0/8, 192.168.0.0/16", null)]
    [InlineData(ServiceTypes.LoadBalancer, "10.0.0.0/8,x", "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Invalid value: \"10.0.0.0/8,x\": " + RangesMessage)]
    [InlineData(ServiceTypes.ClusterIP, "10.0.0.0/8", "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Forbidden: may only be used when `type` is 'LoadBalancer'")]
    public void The_annotation_stands_in_when_the_field_is_empty(string type, string annotation, string? expected)
    {
        var errors = Errors(Svc(type, s => s, new Dictionary<string, string> { ["service.beta.kubernetes.io/load-balancer-source-ranges"] = annotation }));
        Assert.Equal(expected is null ? [] : [expected], errors);
    }

    [Theory]
    [InlineData(ServiceTypes.ClusterIP, null, "Local", null)]
    [InlineData(ServiceTypes.ClusterIP, null, "Cluster", null)]
    [InlineData(ServiceTypes.ClusterIP, null, "Nearby", "spec.internalTrafficPolicy: Unsupported value: \"Nearby\": supported values: \"Cluster\", \"Local\"")]
    [InlineData(ServiceTypes.NodePort, "Local", "Local", null)]
    [InlineData(ServiceTypes.ClusterIP, "Local", null, "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services")]
    [InlineData(ServiceTypes.NodePort, "Remote", null, "spec.externalTrafficPolicy: Unsupported value: \"Remote\": supported values: \"Cluster\", \"Local\"")]
    public void Traffic_policies_are_Cluster_or_Local(string type, string? external, string? @internal, string? expected)
    {
        var errors = Errors(Svc(type, s => s with { ExternalTrafficPolicy = external, InternalTrafficPolicy = @internal }));
        Assert.Equal(expected is null ? [] : [expected], errors);
    }
}
