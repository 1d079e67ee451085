using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Validation;

public class EndpointsAndPodValidationTests
{
    private static readonly IObjectValidator Validator = ObjectValidator.Default;

    private static Endpoints ValidEndpoints(params EndpointSubset[] subsets) => new()
    {
        Metadata = new ObjectMeta { Name = "db.primary" },
        Subsets = subsets.Length == 0
            ? [new EndpointSubset { Addresses = [new EndpointAddress { Ip = "127.0.0.2" }], Ports = [new EndpointPort { Port = 5432 }] }]
            : subsets,
    };

    private static Pod ValidPod(Func<Container, Container>? container = null, PodStatus? status = null) => new()
    {
        Metadata = new ObjectMeta { Name = "myapp-1", Labels = new Dictionary<string, string> { ["app"] = "myapp" } },
        Spec = new PodSpec
        {
            Containers = [(container ?? (c => c))(new Container { Name = "myapp", Image = "nginx", Ports = [new PodContainerPort { Name = "http", ContainerPort = 80 }] })],
        },
        Status = status ?? new PodStatus { Phase = "Running", PodIP = "127.0.0.11" },
    };

    private static string[] Errors(KubeObject obj) =>
        Validator.Validate(Validator.ApplyDefaults(obj)).Select(e => e.ToString()).ToArray();

    [Fact]
    public void ValidEndpointsHaveNoErrors() => Assert.Empty(Errors(ValidEndpoints()));

    [Theory]
    [InlineData("127.0.0.2", null)]
    [InlineData("::1", null)]
    [InlineData("", "subsets[0].addresses[0].ip: Invalid value: \"\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    [InlineData("my-host", "subsets[0].addresses[0].ip: Invalid value: \"my-host\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    public void EndpointAddressIsAnIP(string ip, string? expected) =>
        Assert.Equal(
            expected is null ? [] : [expected],
            Errors(ValidEndpoints(new EndpointSubset { Addresses = [new EndpointAddress { Ip = ip }], Ports = [new EndpointPort { Port = 80 }] })));

    [Theory]
    [InlineData("127.0.0.3", null)]
    [InlineData("127.0.0.3, 127.0.0.4", null)]
    [InlineData("127.0.0.2", "metadata.annotations[serviceproxy.io/serving-terminating]: Invalid value: \"127.0.0.2\": 127.0.0.2 is not one of the notReadyAddresses")]
    [InlineData("127.0.0.3,pod-a", "metadata.annotations[serviceproxy.io/serving-terminating]: Invalid value: \"127.0.0.3,pod-a\": must be a comma-separated list of IP addresses")]
    [InlineData("", "metadata.annotations[serviceproxy.io/serving-terminating]: Invalid value: \"\": must be a comma-separated list of IP addresses")]
    public void ServingTerminatingAnnotationNamesNotReadyAddresses(string value, string? expected) =>
        Assert.Equal(
            expected is null ? [] : [expected],
            Errors(ValidEndpoints(new EndpointSubset
            {
                Addresses = [new EndpointAddress { Ip = "127.0.0.2" }],
                NotReadyAddresses = [new EndpointAddress { Ip = "127.0.0.3" }, new EndpointAddress { Ip = "127.0.0.4" }],
                Ports = [new EndpointPort { Port = 80 }],
            }) with
            {
                Metadata = new ObjectMeta { Name = "db", Annotations = new Dictionary<string, string> { [ServingTerminating.Annotation] = value } },
            }));

    [Theory]
    [InlineData(80, "TCP", null)]
    [InlineData(0, "TCP", "subsets[0].ports[0].port: Required value")]
    [InlineData(65536, "TCP", "subsets[0].ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive")]
    [InlineData(80, "HTTP", "subsets[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"TCP\", \"UDP\"")]
    public void EndpointPortIsValidated(int port, string protocol, string? expected) =>
        Assert.Equal(
            expected is null ? [] : [expected],
            Errors(ValidEndpoints(new EndpointSubset { Addresses = [new EndpointAddress { Ip = "127.0.0.2" }], Ports = [new EndpointPort { Port = port, Protocol = protocol }] })));

    [Fact]
    public void EndpointSubsetNeedsAddressesAndNamedPortsWhenSeveral() =>
        Assert.Equal(
            [
                "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`",
                "subsets[0].ports[0].name: Required value",
                "subsets[0].ports[1].name: Required value",
            ],
            Errors(ValidEndpoints(new EndpointSubset { Ports = [new EndpointPort { Port = 80 }, new EndpointPort { Port = 443 }] })));

    [Fact]
    public void EndpointsNameIsAnRfc1123Subdomain() =>
        Assert.Equal(
            ["metadata.name: Invalid value: \"DB\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"],
            Errors(ValidEndpoints() with { Metadata = new ObjectMeta { Name = "DB" } }));

    [Fact]
    public void ValidPodHasNoErrors() => Assert.Empty(Errors(ValidPod()));

    [Fact]
    public void PodNeedsContainers() =>
        Assert.Equal(["spec.containers: Required value"], Errors(ValidPod() with { Spec = new PodSpec() }));

    [Theory]
    [InlineData(null, 80, null)]
    [InlineData("", 80, "spec.containers[0].name: Required value")]
    [InlineData("web", 0, "spec.containers[0].ports[0].containerPort: Required value")]
    [InlineData("web", 99999, "spec.containers[0].ports[0].containerPort: Invalid value: 99999: must be between 1 and 65535, inclusive")]
    public void ContainersNeedANameAndValidPorts(string? name, int containerPort, string? expected) =>
        Assert.Equal(
            expected is null ? [] : [expected],
            Errors(ValidPod(c => c with { Name = name ?? c.Name, Ports = [new PodContainerPort { ContainerPort = containerPort }] })));

    [Fact]
    public void ContainerPortNameIsAnIanaServiceName() =>
        Assert.Equal(
            ["spec.containers[0].ports[0].name: Invalid value: \"1234\": must contain at least one letter (a-z)"],
            Errors(ValidPod(c => c with { Ports = [new PodContainerPort { Name = "1234", ContainerPort = 80 }] })));

    [Theory]
    [InlineData("127.0.0.11", null)]
    [InlineData("fd00::11", null)]
    [InlineData("127.0.0.300", "status.podIP: Invalid value: \"127.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    public void PodIPIsAnIPWhenSet(string podIP, string? expected) =>
        Assert.Equal(expected is null ? [] : [expected], Errors(ValidPod(status: new PodStatus { PodIP = podIP })));

    [Fact]
    public void PodStatusPhaseAndConditionsAreValidated() =>
        Assert.Equal(
            [
                "status.phase: Unsupported value: \"Started\": supported values: \"Failed\", \"Pending\", \"Running\", \"Succeeded\", \"Unknown\"",
                "status.conditions[0].status: Unsupported value: \"yes\": supported values: \"False\", \"True\", \"Unknown\"",
            ],
            Errors(ValidPod(status: new PodStatus { Phase = "Started", Conditions = [new PodCondition { Type = "Ready", Status = "yes" }] })));

    [Fact]
    public void PodNameIsAnRfc1123Subdomain() =>
        Assert.Empty(Errors(ValidPod() with { Metadata = new ObjectMeta { Name = "myapp-deploy-69b47bc96d-4hxxw" } }));
}
