using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Validation;

public class DefaultingTests
{
    private static readonly IObjectValidator Validator = ObjectValidator.Default;

    [Fact]
    public void ServiceDefaultsFollowKubernetes()
    {
        var service = Validator.ApplyDefaults(ServiceValidationTests.Valid(s => s with
        {
            Ports = [new ServicePort { Port = 6379 }, new ServicePort { Port = 53, Protocol = "UDP", TargetPort = "dns" }],
        }));

        Assert.Equal("default", service.Metadata.Namespace);
        Assert.Equal(ServiceTypes.ClusterIP, service.Spec.Type);
        Assert.Equal(SessionAffinities.None, service.Spec.SessionAffinity);
        Assert.Null(service.Spec.SessionAffinityConfig);
        Assert.Null(service.Spec.ExternalTrafficPolicy);
        Assert.Equal(Protocols.Tcp, service.Spec.Ports![0].Protocol);
        Assert.Equal(IntOrString.FromInt(6379), service.Spec.Ports[0].TargetPort);
        Assert.Equal(Protocols.Udp, service.Spec.Ports[1].Protocol);
        Assert.Equal(IntOrString.FromString("dns"), service.Spec.Ports[1].TargetPort);
    }

    [Fact]
    public void ExplicitNamespaceIsKept()
    {
        var service = ServiceValidationTests.Valid() with { Metadata = new ObjectMeta { Name = "redis", Namespace = "prod" } };
        Assert.Equal("prod", Validator.ApplyDefaults(service).Metadata.Namespace);
    }

    [Fact]
    public void ClientIPAffinityDefaultsTimeoutTo10800Seconds()
    {
        var service = Validator.ApplyDefaults(ServiceValidationTests.Valid(s => s with { SessionAffinity = "ClientIP" }));
        Assert.Equal(10800, service.Spec.SessionAffinityConfig?.ClientIP?.TimeoutSeconds);
        Assert.Empty(Validator.Validate(service));

        var explicitTimeout = Validator.ApplyDefaults(ServiceValidationTests.Valid(s => s with
        {
            SessionAffinity = "ClientIP",
            SessionAffinityConfig = new() { ClientIP = new() { TimeoutSeconds = 60 } },
        }));
        Assert.Equal(60, explicitTimeout.Spec.SessionAffinityConfig?.ClientIP?.TimeoutSeconds);
    }

    [Theory]
    [InlineData("NodePort", "Cluster")]
    [InlineData("LoadBalancer", "Cluster")]
    [InlineData("ClusterIP", null)]
    public void ExternalTrafficPolicyDefaultsToClusterForExternalTypes(string type, string? expected) =>
        Assert.Equal(expected, Validator.ApplyDefaults(ServiceValidationTests.Valid(s => s with { Type = type })).Spec.ExternalTrafficPolicy);

    [Fact]
    public void ExplicitZeroTargetPortDefaultsToPort()
    {
        var service = Validator.ApplyDefaults(ServiceValidationTests.Valid(s => s with { Ports = [new ServicePort { Port = 80, TargetPort = 0 }] }));
        Assert.Equal(IntOrString.FromInt(80), service.Spec.Ports![0].TargetPort);
    }

    [Fact]
    public void MissingPortLeavesTargetPortUnsetSoOnlyThePortIsReported()
    {
        var service = Validator.ApplyDefaults(ServiceValidationTests.Valid(s => s with { Ports = [new ServicePort()] }));
        Assert.Null(service.Spec.Ports![0].TargetPort);
        Assert.Equal(["spec.ports[0].port: Required value"], Validator.Validate(service).Select(e => e.ToString()));
    }

    [Fact]
    public void EndpointAndContainerPortProtocolsDefaultToTcp()
    {
        var endpoints = Validator.ApplyDefaults(new Endpoints
        {
            Metadata = new ObjectMeta { Name = "db" },
            Subsets = [new EndpointSubset { Addresses = [new EndpointAddress { Ip = "127.0.0.2" }], Ports = [new EndpointPort { Port = 5432 }] }],
        });
        Assert.Equal("TCP", endpoints.Subsets![0].Ports![0].Protocol);
        Assert.Equal("default", endpoints.Metadata.Namespace);

        var pod = Validator.ApplyDefaults(new Pod
        {
            Metadata = new ObjectMeta { Name = "web" },
            Spec = new PodSpec { Containers = [new Container { Name = "web", Ports = [new PodContainerPort { ContainerPort = 80 }] }] },
        });
        Assert.Equal("TCP", pod.Spec!.Containers![0].Ports![0].Protocol);
        Assert.Equal("default", pod.Metadata.Namespace);
    }

    [Fact]
    public void DefaultingDoesNotChangeTheInput()
    {
        var service = ServiceValidationTests.Valid();
        _ = Validator.ApplyDefaults(service);
        Assert.Null(service.Spec.Type);
        Assert.Null(service.Spec.Ports![0].Protocol);
    }
}
