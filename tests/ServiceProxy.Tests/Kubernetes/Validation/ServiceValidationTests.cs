using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Validation;

public class ServiceValidationTests
{
    private const string Dns1035 =
        "a lowercase RFC 1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    private static readonly IObjectValidator Validator = ObjectValidator.Default;

    internal static Service Valid(Func<ServiceSpec, ServiceSpec>? spec = null, string name = "redis") => new()
    {
        Metadata = new ObjectMeta { Name = name },
        Spec = (spec ?? (s => s))(new ServiceSpec
        {
            Selector = new Dictionary<string, string> { ["app"] = "redis" },
            Ports = [new ServicePort { Port = 6379 }],
        }),
    };

    private static string[] Errors(Service service) =>
        Validator.Validate(Validator.ApplyDefaults(service)).Select(e => e.ToString()).ToArray();

    [Fact]
    public void ValidServiceHasNoErrors() => Assert.Empty(Errors(Valid()));

    [Theory]
    [InlineData("redis", null)]
    [InlineData("a", null)]
    [InlineData("my-svc-1", null)]
    [InlineData("1redis", "metadata.name: Invalid value: \"1redis\": " + Dns1035)]
    [InlineData("Redis", "metadata.name: Invalid value: \"Redis\": " + Dns1035)]
    [InlineData("redis-", "metadata.name: Invalid value: \"redis-\": " + Dns1035)]
    [InlineData("re.dis", "metadata.name: Invalid value: \"re.dis\": " + Dns1035)]
    [InlineData("", "metadata.name: Required value: name or generateName is required")]
    public void ServiceNameIsAnRfc1035Label(string name, string? expected) =>
        AssertErrors(Valid(name: name), expected);

    [Fact]
    public void NameTooLongIsReported()
    {
        var name = new string('a', 64);
        Assert.Contains($"metadata.name: Invalid value: \"{name}\": must be no more than 63 characters", Errors(Valid(name: name)));
    }

    [Fact]
    public void GenerateNameStandsInForName()
    {
        var service = Valid() with { Metadata = new ObjectMeta { GenerateName = "redis-" } };
        Assert.Empty(Errors(service));
    }

    [Theory]
    [InlineData("default", null)]
    [InlineData("kube-system", null)]
    [InlineData("Prod", "metadata.namespace: Invalid value: \"Prod\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    public void NamespaceIsAnRfc1123Label(string ns, string? expected) =>
        AssertErrors(Valid() with { Metadata = new ObjectMeta { Name = "redis", Namespace = ns } }, expected);

    [Theory]
    [InlineData("app", "redis", null)]
    [InlineData("example.com/app", "", null)]
    [InlineData("app", "-bad", "metadata.labels: Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")]
    [InlineData("bad key", "x", "metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")]
    [InlineData("a/b/c", "x", "metadata.labels: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]
    [InlineData("Bad_Prefix/app", "x", "metadata.labels: Invalid value: \"Bad_Prefix/app\": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]
    public void LabelsAreValidated(string key, string value, string? expected) =>
        AssertErrors(Valid() with { Metadata = new ObjectMeta { Name = "redis", Labels = new Dictionary<string, string> { [key] = value } } }, expected);

    [Fact]
    public void SelectorIsValidatedLikeLabels() =>
        AssertErrors(
            Valid(s => s with { Selector = new Dictionary<string, string> { ["app"] = "bad value" } }),
            "spec.selector: Invalid value: \"bad value\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");

    [Theory]
    [InlineData(null, null)]
    [InlineData("ClusterIP", null)]
    [InlineData("NodePort", null)]
    [InlineData("LoadBalancer", null)]
    [InlineData("Ingress", "spec.type: Unsupported value: \"Ingress\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"")]
    public void TypeIsOneOfTheFourKubernetesTypes(string? type, string? expected) =>
        AssertErrors(Valid(s => s with { Type = type }), expected);

    [Fact]
    public void PortsAreRequiredExceptForExternalNameAndHeadless()
    {
        AssertErrors(Valid(s => s with { Ports = null }), "spec.ports: Required value");
        AssertErrors(Valid(s => s with { Ports = [], ClusterIP = "None" }));
        AssertErrors(Valid(s => s with { Ports = null, Type = "ExternalName", ExternalName = "db.example.com", Selector = null }));
    }

    [Theory]
    [InlineData(1, null)]
    [InlineData(65535, null)]
    [InlineData(0, "spec.ports[0].port: Required value")]
    [InlineData(70000, "spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive")]
    [InlineData(-1, "spec.ports[0].port: Invalid value: -1: must be between 1 and 65535, inclusive")]
    public void PortIsBetween1And65535(int port, string? expected) =>
        AssertErrors(Valid(s => s with { Ports = [new ServicePort { Port = port, TargetPort = 8080 }] }), expected);

    [Theory]
    [InlineData("TCP", null)]
    [InlineData("UDP", null)]
    [InlineData("SCTP", "spec.ports[0].protocol: Unsupported value: \"SCTP\": supported values: \"TCP\", \"UDP\" (ServiceProxy does not proxy SCTP)")]
    [InlineData("tcp", "spec.ports[0].protocol: Unsupported value: \"tcp\": supported values: \"TCP\", \"UDP\"")]
    public void ProtocolIsTcpOrUdp(string protocol, string? expected) =>
        AssertErrors(Valid(s => s with { Ports = [new ServicePort { Port = 53, Protocol = protocol }] }), expected);

    [Theory]
    [InlineData("redis", null)]
    [InlineData("http-alt", null)]
    [InlineData("Redis", "spec.ports[0].name: Invalid value: \"Redis\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")]
    public void PortNameIsAnRfc1123Label(string name, string? expected) =>
        AssertErrors(Valid(s => s with { Ports = [new ServicePort { Name = name, Port = 80 }] }), expected);

    [Fact]
    public void PortNamesAreRequiredAndUniqueWithSeveralPorts()
    {
        AssertErrors(
            Valid(s => s with { Ports = [new ServicePort { Port = 80 }, new ServicePort { Port = 443 }] }),
            "spec.ports[0].name: Required value",
            "spec.ports[1].name: Required value");
        AssertErrors(
            Valid(s => s with { Ports = [new ServicePort { Name = "web", Port = 80 }, new ServicePort { Name = "web", Port = 443 }] }),
            "spec.ports[1].name: Duplicate value: \"web\"");
    }

    [Theory]
    [InlineData(8080, null, null)]
    [InlineData(null, "http", null)]
    [InlineData(null, "a-1", null)]
    [InlineData(70000, null, "spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive")]
    [InlineData(null, "8080", "spec.ports[0].targetPort: Invalid value: \"8080\": must contain at least one letter (a-z)")]
    [InlineData(null, "my--port", "spec.ports[0].targetPort: Invalid value: \"my--port\": must not contain consecutive hyphens")]
    [InlineData(null, "-port", "spec.ports[0].targetPort: Invalid value: \"-port\": must not begin or end with a hyphen")]
    [InlineData(null, "a-very-long-port-name", "spec.ports[0].targetPort: Invalid value: \"a-very-long-port-name\": must be no more than 15 characters")]
    public void TargetPortIsANumberOrAnIanaServiceName(int? number, string? name, string? expected)
    {
        IntOrString target = number is int n ? n : name!;
        AssertErrors(Valid(s => s with { Ports = [new ServicePort { Port = 80, TargetPort = target }] }), expected);
    }

    [Fact]
    public void UpperCaseTargetPortNameGetsBothKubernetesMessages() =>
        AssertErrors(
            Valid(s => s with { Ports = [new ServicePort { Port = 80, TargetPort = "HTTP" }] }),
            "spec.ports[0].targetPort: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
            "spec.ports[0].targetPort: Invalid value: \"HTTP\": must contain at least one letter (a-z)");

    [Fact]
    public void DuplicateProtocolAndPortIsReportedAsKubernetesDoes()
    {
        AssertErrors(
            Valid(s => s with { Ports = [new ServicePort { Name = "a", Port = 80 }, new ServicePort { Name = "b", Port = 80, TargetPort = 81 }] }),
            "spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}, NodePort:0}");
        AssertErrors(
            Valid(s => s with { Ports = [new ServicePort { Name = "a", Port = 53 }, new ServicePort { Name = "b", Port = 53, Protocol = "UDP" }] }),
            []);
    }

    [Fact]
    public void DuplicateNodePortIsReported() =>
        AssertErrors(
            Valid(s => s with
            {
                Type = "NodePort",
                Ports = [new ServicePort { Name = "a", Port = 80, NodePort = 30080 }, new ServicePort { Name = "b", Port = 81, NodePort = 30080 }],
            }),
            "spec.ports[1].nodePort: Duplicate value: 30080");

    [Fact]
    public void NodePortIsForbiddenForClusterIP() =>
        AssertErrors(
            Valid(s => s with { Ports = [new ServicePort { Port = 80, NodePort = 30080 }] }),
            "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");

    [Theory]
    [InlineData(null, null)]
    [InlineData("None", null)]
    [InlineData("ClientIP", null)]
    [InlineData("ClusterIP", "spec.sessionAffinity: Unsupported value: \"ClusterIP\": supported values: \"ClientIP\", \"None\"")]
    public void SessionAffinityIsNoneOrClientIP(string? affinity, string? expected) =>
        AssertErrors(Valid(s => s with { SessionAffinity = affinity }), expected);

    [Fact]
    public void BadValuesArePrintedLikeGoWithReadableTextAndEscapedInvisibleSpaces() =>
        AssertErrors(
            Valid(s => s with { SessionAffinity = "ClientIP\u3000#会话's" }),
            "spec.sessionAffinity: Unsupported value: \"ClientIP\\u3000#会话's\": supported values: \"ClientIP\", \"None\"");

    [Theory]
    [InlineData(1, null)]
    [InlineData(86400, null)]
    [InlineData(0, "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400")]
    [InlineData(86401, "spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400")]
    public void TimeoutSecondsIsBetween1And86400(int timeout, string? expected) =>
        AssertErrors(
            Valid(s => s with { SessionAffinity = "ClientIP", SessionAffinityConfig = new() { ClientIP = new() { TimeoutSeconds = timeout } } }),
            expected);

    [Fact]
    public void SessionAffinityConfigIsForbiddenWithNone()
    {
        var service = Validator.ApplyDefaults(Valid());
        service = service with { Spec = service.Spec with { SessionAffinityConfig = new() { ClientIP = new() { TimeoutSeconds = 60 } } } };
        Assert.Equal(
            ["spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None"],
            Validator.Validate(service).Select(e => e.ToString()));
    }

    [Fact]
    public void DefaultingDropsTheAffinityConfigOfNone() =>
        // Kubernetes' SetDefaults_Service: what makes `patch sessionAffinity: None` valid after ClientIP.
        Assert.Null(Validator.ApplyDefaults(Valid(s => s with { SessionAffinity = "None", SessionAffinityConfig = new() { ClientIP = new() { TimeoutSeconds = 60 } } })).Spec.SessionAffinityConfig);

    [Fact]
    public void ClientIPWithoutConfigIsRequiredWhenNotDefaulted()
    {
        var service = Valid(s => s with { SessionAffinity = "ClientIP", Type = "ClusterIP", Ports = [new ServicePort { Port = 80, Protocol = "TCP" }] });
        Assert.Equal(
            ["spec.sessionAffinityConfig: Required value: when session affinity type is ClientIP"],
            Validator.Validate(service).Select(e => e.ToString()));
    }

    [Theory]
    [InlineData("db.example.com", null)]
    [InlineData("db.example.com.", null)]
    [InlineData(null, "spec.externalName: Required value")]
    [InlineData("Bad_Name", "spec.externalName: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")]
    public void ExternalNameNeedsAnRfc1123Subdomain(string? externalName, string? expected) =>
        AssertErrors(Valid(s => s with { Type = "ExternalName", ExternalName = externalName, Ports = null, Selector = null }), expected);

    [Fact]
    public void ExternalNameMayNotHaveAClusterIP() =>
        AssertErrors(
            Valid(s => s with { Type = "ExternalName", ExternalName = "db.example.com", ClusterIP = "10.0.0.1" }),
            "spec.clusterIP: Forbidden: may not be set for ExternalName services");

    [Theory]
    [InlineData("10.96.0.10", null)]
    [InlineData("fd00::10", null)]
    [InlineData("None", null)]
    [InlineData("", null)]
    [InlineData("10.96.0", "spec.clusterIP: Invalid value: \"10.96.0\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    [InlineData("010.96.0.1", "spec.clusterIP: Invalid value: \"010.96.0.1\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    [InlineData("1", "spec.clusterIP: Invalid value: \"1\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    [InlineData("10.0.0.256", "spec.clusterIP: Invalid value: \"10.0.0.256\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    public void ClusterIPIsAnIPOrNone(string clusterIP, string? expected) =>
        AssertErrors(Valid(s => s with { ClusterIP = clusterIP }), expected);

    [Theory]
    [InlineData("127.0.0.5", null)]
    [InlineData("192.0.2.1", null)]
    [InlineData("example.com", "spec.externalIPs[0]: Invalid value: \"example.com\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)")]
    [InlineData("0.0.0.0", "spec.externalIPs[0]: Invalid value: \"0.0.0.0\": may not be unspecified (0.0.0.0)")]
    public void ExternalIPsAreIPs(string ip, string? expected) =>
        AssertErrors(Valid(s => s with { ExternalIPs = [ip] }), expected);

    [Fact]
    public void LoadBalancerIPAndIngressIPAreIPs()
    {
        var service = Valid(s => s with { Type = "LoadBalancer", LoadBalancerIP = "nope" }) with
        {
            Status = new ServiceStatus { LoadBalancer = new() { Ingress = [new LoadBalancerIngress { Ip = "1.2.3" }] } },
        };
        AssertErrors(
            service,
            "spec.loadBalancerIP: Invalid value: \"nope\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
            "status.loadBalancer.ingress[0].ip: Invalid value: \"1.2.3\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
    }

    [Theory]
    [InlineData("NodePort", "Local", null)]
    [InlineData("NodePort", "Cluster", null)]
    [InlineData("LoadBalancer", "Everywhere", "spec.externalTrafficPolicy: Unsupported value: \"Everywhere\": supported values: \"Cluster\", \"Local\"")]
    [InlineData("ClusterIP", "Local", "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services")]
    public void ExternalTrafficPolicyIsClusterOrLocal(string type, string policy, string? expected) =>
        AssertErrors(Valid(s => s with { Type = type, ExternalTrafficPolicy = policy }), expected);

    [Fact]
    public void HeadlessIsNotAllowedForNodePort() =>
        AssertErrors(
            Valid(s => s with { Type = "NodePort", ClusterIP = "None" }),
            "spec.clusterIP: Invalid value: \"None\": may not be set to 'None' for NodePort services");

    [Fact]
    public void ClusterIPIsImmutableOnUpdate()
    {
        var old = Validator.ApplyDefaults(Valid(s => s with { ClusterIP = "10.96.0.10" }));
        var changed = Validator.ApplyDefaults(Valid(s => s with { ClusterIP = "10.96.0.11" }));
        Assert.Equal(["spec.clusterIP: Invalid value: \"10.96.0.11\": field is immutable"], Validator.Validate(changed, old).Select(e => e.ToString()));
        Assert.Empty(Validator.Validate(old, old));
    }

    [Fact]
    public void AllProblemsAreReportedAtOnce()
    {
        var service = Valid(s => s with
        {
            SessionAffinity = "ClusterIP",
            Ports = [new ServicePort { Port = 6379 }, new ServicePort { TargetPort = 6379 }],
        });
        AssertErrors(
            service,
            "spec.ports[0].name: Required value",
            "spec.ports[1].name: Required value",
            "spec.ports[1].port: Required value",
            "spec.sessionAffinity: Unsupported value: \"ClusterIP\": supported values: \"ClientIP\", \"None\"");
    }

    private static void AssertErrors(Service service, params string?[] expected) =>
        Assert.Equal(expected.OfType<string>().ToArray(), Errors(service));
}
