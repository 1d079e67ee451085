using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Host;

public class PrintingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(120, "2m")]
    [InlineData(184, "3m4s")]
    [InlineData(28 * 60, "28m")]
    [InlineData(179 * 60, "179m")]
    [InlineData((3 * 60 + 4) * 60, "3h4m")]
    [InlineData(5 * 3600, "5h")]
    [InlineData(47 * 3600, "47h")]
    [InlineData((3 * 24 + 5) * 3600, "3d5h")]
    [InlineData(36 * 24 * 3600, "36d")]
    [InlineData((365 * 3 + 4) * 24 * 3600L, "3y4d")]
    [InlineData(-1, "0s")]
    [InlineData(-5, "<invalid>")]
    public void Ages_read_like_kubectl(long seconds, string expected) =>
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void Service_table_matches_the_seed_transcript()
    {
        var services = new KubeObject[]
        {
            Service("kubernetes", ServiceTypes.ClusterIP, "10.96.0.1", Now.AddDays(-36), new ServicePort { Port = 443, Protocol = "TCP" }),
            Service("myapp", ServiceTypes.NodePort, "10.101.245.119", Now.AddSeconds(-5), new ServicePort { Port = 80, NodePort = 30080, Protocol = "TCP" }),
            Service("redis", ServiceTypes.ClusterIP, "10.107.238.182", Now.AddMinutes(-28), new ServicePort { Port = 6379, Protocol = "TCP" }),
        };

        var text = TablePrinter.Print("Service", services, Now);

        Assert.Equal(
            """
            NAME         TYPE        CLUSTER-IP       EXTERNAL-IP   PORT(S)        AGE
            kubernetes   ClusterIP   10.96.0.1        <none>        443/TCP        36d
            myapp        NodePort    10.101.245.119   <none>        80:30080/TCP   5s
            redis        ClusterIP   10.107.238.182   <none>        6379/TCP       28m

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void Wide_adds_the_selector_and_all_namespaces_adds_the_namespace()
    {
        var service = Service("myapp", ServiceTypes.NodePort, "127.100.0.10", Now.AddSeconds(-5), new ServicePort { Port = 80, NodePort = 30080 }) with { };
        service = service with { Spec = service.Spec with { Selector = new Dictionary<string, string> { ["release"] = "canary", ["app"] = "myapp" } } };

        var lines = TablePrinter.Print("Service", [service], Now, wide: true, withNamespace: true).Split('\n');

        Assert.Equal(["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "SELECTOR"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["default", "myapp", "NodePort", "127.100.0.10", "<none>", "80:30080/TCP", "5s", "app=myapp,release=canary"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Pods_show_ready_status_restarts_and_labels()
    {
        var pod = new Pod
        {
            Metadata = new ObjectMeta { Name = "myapp-deploy-69b47bc96d-4hxxw", CreationTimestamp = Now.AddMinutes(-12), Labels = new Dictionary<string, string> { ["release"] = "canary", ["app"] = "myapp" } },
            Status = new PodStatus { Phase = "Running", PodIP = "127.0.0.11" },
        };

        var text = TablePrinter.Print("Pod", [pod], Now, showLabels: true);

        Assert.Equal(
            """
            NAME                            READY   STATUS    RESTARTS   AGE   LABELS
            myapp-deploy-69b47bc96d-4hxxw   1/1     Running   0          12m   app=myapp,release=canary

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void Endpoints_show_three_then_a_count_of_the_rest()
    {
        var endpoints = new Endpoints
        {
            Metadata = new ObjectMeta { Name = "myapp" },
            Subsets =
            [
                new EndpointSubset
                {
                    Addresses = [.. new[] { "10.244.1.18", "10.244.1.19", "10.244.2.15", "10.244.2.16", "10.244.2.17" }.Select(ip => new EndpointAddress { Ip = ip })],
                    Ports = [new EndpointPort { Port = 80, Protocol = "TCP" }],
                },
            ],
        };

        Assert.Equal("10.244.1.18:80,10.244.1.19:80,10.244.2.15:80 + 2 more...", ResourceTables.FormatEndpoints(endpoints, null));
        Assert.Equal("<none>", ResourceTables.FormatEndpoints(new Endpoints { Metadata = new ObjectMeta { Name = "x" } }, null));
        Assert.Equal("<none>", ResourceTables.FormatEndpoints(endpoints, "http"));
    }

    [Fact]
    public void Describe_service_matches_kubectl_layout()
    {
        var service = Service("myapp", ServiceTypes.NodePort, "10.101.245.119", Now, new ServicePort { Port = 80, TargetPort = 80, NodePort = 30080, Protocol = "TCP" });
        service = service with
        {
            Spec = service.Spec with
            {
                Selector = new Dictionary<string, string> { ["app"] = "myapp", ["release"] = "canary" },
                SessionAffinity = "ClientIP",
                ExternalTrafficPolicy = "Cluster",
            },
        };
        var endpoints = new Endpoints
        {
            Metadata = new ObjectMeta { Name = "myapp" },
            Subsets = [new EndpointSubset { Addresses = [new EndpointAddress { Ip = "10.244.1.18" }], Ports = [new EndpointPort { Port = 80 }] }],
        };

        var text = ServiceDescriber.Describe(service, endpoints);

        Assert.Equal(
            """
            Name:                     myapp
            Namespace:                default
            Labels:                   <none>
            Annotations:              <none>
            Selector:                 app=myapp,release=canary
            Type:                     NodePort
            IP:                       10.101.245.119
            IPs:                      10.101.245.119
            Port:                     <unset>  80/TCP
            TargetPort:               80/TCP
            NodePort:                 <unset>  30080/TCP
            Endpoints:                10.244.1.18:80
            Session Affinity:         ClientIP
            External Traffic Policy:  Cluster
            Events:                   <none>

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void Describe_lists_labels_one_per_line_and_shortens_long_annotations()
    {
        var service = Service("redis", ServiceTypes.ClusterIP, "10.107.238.182", Now, new ServicePort { Port = 6379, TargetPort = 6379 });
        service = service with
        {
            Metadata = service.Metadata with
            {
                Labels = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" },
                Annotations = new Dictionary<string, string> { ["note"] = new string('x', 200) },
            },
        };

        var lines = ServiceDescriber.Describe(service, null).Split('\n');

        Assert.Equal("Labels:            a=1", lines[2]);
        Assert.Equal("                   b=2", lines[3]);
        Assert.Equal("Annotations:       note:", lines[4]);
        Assert.Equal("                     " + new string('x', 138) + "...", lines[5]);
        Assert.Contains("Endpoints:         <none>", lines);
        Assert.Contains("Session Affinity:  None", lines);
    }

    private static Service Service(string name, string type, string clusterIP, DateTimeOffset created, ServicePort port) => new()
    {
        Metadata = new ObjectMeta { Name = name, Namespace = "default", CreationTimestamp = created },
        Spec = new ServiceSpec { Type = type, ClusterIP = clusterIP, ClusterIPs = [clusterIP], Ports = [port] },
    };
}
