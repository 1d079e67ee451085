using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Host;

/// <summary>The READY column and <c>describe pod</c> for probed pods.</summary>
public class PodPrintingTests
{
    private static Pod Probed(bool ready, string? message = null) => new()
    {
        Metadata = new ObjectMeta { Name = "web-1", Namespace = "default", Labels = new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new PodSpec
        {
            Containers =
            [
                new Container
                {
                    Name = "app",
                    Ports = [new PodContainerPort { Name = "http", ContainerPort = 8080, Protocol = "TCP" }],
                    ReadinessProbe = new Probe { HttpGet = new HttpGetAction { Path = "/healthz", Port = "http", Scheme = "HTTP" }, TimeoutSeconds = 1, PeriodSeconds = 10, SuccessThreshold = 1, FailureThreshold = 3 },
                },
                new Container { Name = "sidecar" },
            ],
        },
        Status = new PodStatus
        {
            Phase = "Running",
            PodIP = "127.0.0.1",
            ContainerStatuses = [new ContainerStatus { Name = "app", Ready = ready }, new ContainerStatus { Name = "sidecar", Ready = true }],
            Conditions = [new PodCondition { Type = "Ready", Status = ready ? "True" : "False", Message = message }],
        },
    };

    [Theory]
    [InlineData(true, "2/2")]
    [InlineData(false, "1/2")]
    public void Ready_counts_the_ready_container_statuses(bool ready, string expected) =>
        Assert.Equal(expected, ResourceTables.Cells(Probed(ready), DateTimeOffset.UnixEpoch)[1]);

    [Fact]
    public void Describe_shows_the_probe_and_the_last_failure()
    {
        var text = PodDescriber.Describe(Probed(false, "containers with unready status: [app]; app: HTTP probe failed with statuscode: 503"));

        Assert.Matches(@"\n    Readiness: +http-get http://:http/healthz delay=0s timeout=1s period=10s #success=1 #failure=3\n", text);
        Assert.Matches(@"\n    Ready: +False\n", text);
        Assert.Matches(@"\nReadiness Message: +containers with unready status: \[app\]; app: HTTP probe failed with statuscode: 503\n", text);
    }

    [Theory]
    [InlineData("tcp", "tcp-socket :8080 delay=0s timeout=1s period=10s #success=1 #failure=3")]
    [InlineData("grpc", "grpc <pod>:9090 web delay=0s timeout=1s period=10s #success=1 #failure=3")]
    [InlineData("exec", "exec [cat /tmp/ready] delay=0s timeout=1s period=10s #success=1 #failure=3")]
    public void Probes_print_as_kubectl_prints_them(string handler, string expected)
    {
        var timings = new Probe { TimeoutSeconds = 1, PeriodSeconds = 10, SuccessThreshold = 1, FailureThreshold = 3 };
        var probe = handler switch
        {
            "tcp" => timings with { TcpSocket = new TcpSocketAction { Port = 8080 } },
            "grpc" => timings with { Grpc = new GrpcAction { Port = 9090, Service = "web" } },
            _ => timings with { Exec = new ExecAction { Command = ["cat", "/tmp/ready"] } },
        };

        Assert.Equal(expected, PodDescriber.Probe(probe));
    }
}
