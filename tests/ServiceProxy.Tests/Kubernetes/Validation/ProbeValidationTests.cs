using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Validation;

public class ProbeValidationTests
{
    private static readonly IObjectValidator Validator = ObjectValidator.Default;

    private static Pod WithProbe(Probe probe) => new()
    {
        Metadata = new ObjectMeta { Name = "web-1" },
        Spec = new PodSpec
        {
            Containers = [new Container { Name = "web", Ports = [new PodContainerPort { Name = "http", ContainerPort = 8080 }], ReadinessProbe = probe }],
        },
        Status = new PodStatus { Phase = "Running", PodIP = "127.0.0.1" },
    };

    private static Probe Defaulted(Probe probe) =>
        ((Pod)Validator.ApplyDefaults(WithProbe(probe))).Spec!.Containers![0].ReadinessProbe!;

    private static string[] Errors(Probe probe) =>
        Validator.Validate(Validator.ApplyDefaults(WithProbe(probe))).Select(e => e.ToString()).ToArray();

    [Fact]
    public void Timings_default_as_in_Kubernetes()
    {
        var probe = Defaulted(new Probe { TcpSocket = new TcpSocketAction { Port = 8080 } });

        Assert.Equal((0, 1, 10, 1, 3), (probe.InitialDelaySeconds, probe.TimeoutSeconds, probe.PeriodSeconds, probe.SuccessThreshold, probe.FailureThreshold));
    }

    [Fact]
    public void Set_timings_are_kept()
    {
        var probe = Defaulted(new Probe { TcpSocket = new TcpSocketAction { Port = 8080 }, InitialDelaySeconds = 5, TimeoutSeconds = 2, PeriodSeconds = 1, SuccessThreshold = 2, FailureThreshold = 1 });

        Assert.Equal((5, 2, 1, 2, 1), (probe.InitialDelaySeconds, probe.TimeoutSeconds, probe.PeriodSeconds, probe.SuccessThreshold, probe.FailureThreshold));
    }

    [Fact]
    public void HttpGet_defaults_path_and_scheme_and_grpc_the_service()
    {
        Assert.Equal(("/", "HTTP"), Defaulted(new Probe { HttpGet = new HttpGetAction { Port = "http" } }) is { HttpGet: { } h } ? (h.Path, h.Scheme) : default);
        Assert.Equal(string.Empty, Defaulted(new Probe { Grpc = new GrpcAction { Port = 9090 } }).Grpc!.Service);
    }

    [Theory]
    [InlineData("tcp-number")]
    [InlineData("tcp-name")]
    [InlineData("http")]
    [InlineData("grpc")]
    [InlineData("exec")]
    public void Each_handler_alone_is_valid(string handler) =>
        Assert.Empty(Errors(handler switch
        {
            "tcp-number" => new Probe { TcpSocket = new TcpSocketAction { Port = 8080 } },
            "tcp-name" => new Probe { TcpSocket = new TcpSocketAction { Port = "http" } },
            "http" => new Probe { HttpGet = new HttpGetAction { Port = 8080, HttpHeaders = [new HttpHeader { Name = "X-Probe", Value = "1" }] } },
            "grpc" => new Probe { Grpc = new GrpcAction { Port = 9090 } },
            _ => new Probe { Exec = new ExecAction { Command = ["cat", "/tmp/ready"] } },
        }));

    [Fact]
    public void A_probe_needs_exactly_one_handler()
    {
        Assert.Equal(
            ["spec.containers[0].readinessProbe: Required value: must specify a handler type"],
            Errors(new Probe()));
        Assert.Equal(
            ["spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type"],
            Errors(new Probe { HttpGet = new HttpGetAction { Port = 80 }, TcpSocket = new TcpSocketAction { Port = 80 } }));
    }

    [Fact]
    public void Timings_may_not_be_negative() =>
        Assert.Equal(
            [
                "spec.containers[0].readinessProbe.initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0",
                "spec.containers[0].readinessProbe.timeoutSeconds: Invalid value: -2: must be greater than or equal to 0",
                "spec.containers[0].readinessProbe.periodSeconds: Invalid value: -3: must be greater than or equal to 0",
                "spec.containers[0].readinessProbe.successThreshold: Invalid value: -4: must be greater than or equal to 0",
                "spec.containers[0].readinessProbe.failureThreshold: Invalid value: -5: must be greater than or equal to 0",
            ],
            Errors(new Probe { TcpSocket = new TcpSocketAction { Port = 80 }, InitialDelaySeconds = -1, TimeoutSeconds = -2, PeriodSeconds = -3, SuccessThreshold = -4, FailureThreshold = -5 }));

    [Fact]
    public void Handler_fields_are_validated() =>
        Assert.Equal(
            [
                "spec.containers[0].readinessProbe.httpGet.port: Invalid value: \"Not_A_Name\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
                "spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: \"FTP\": supported values: \"HTTP\", \"HTTPS\"",
                "spec.containers[0].readinessProbe.httpGet.httpHeaders: Invalid value: \"X Bad\": a valid HTTP header must consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation is '[-A-Za-z0-9]+')",
            ],
            Errors(new Probe { HttpGet = new HttpGetAction { Port = "Not_A_Name", Scheme = "FTP", HttpHeaders = [new HttpHeader { Name = "X Bad", Value = "v" }] } }));

    [Theory]
    [InlineData(0, "spec.containers[0].readinessProbe.grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive")]
    [InlineData(70000, "spec.containers[0].readinessProbe.grpc.port: Invalid value: 70000: must be between 1 and 65535, inclusive")]
    public void Grpc_port_is_a_number_in_range(int port, string expected) =>
        Assert.Equal([expected], Errors(new Probe { Grpc = new GrpcAction { Port = port } }));

    [Fact]
    public void Exec_needs_a_command_and_readiness_has_no_grace_period() =>
        Assert.Equal(
            [
                "spec.containers[0].readinessProbe.exec.command: Required value",
                "spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 30: must not be set for readinessProbes",
            ],
            Errors(new Probe { Exec = new ExecAction(), TerminationGracePeriodSeconds = 30 }));
}
