using System.Text.Json;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Kubernetes.Model;

public sealed class KubeJsonTests
{
    [Fact]
    public void Service_round_trips_with_kubernetes_field_names()
    {
        var service = new Service
        {
            Metadata = new ObjectMeta { Name = "myapp", Namespace = "default" },
            Spec = new ServiceSpec
            {
                Type = ServiceTypes.NodePort,
                ClusterIP = "127.100.0.10",
                Ports = [new ServicePort { Port = 80, TargetPort = 8080, NodePort = 30080 }],
                SessionAffinity = SessionAffinities.ClientIP,
                SessionAffinityConfig = new SessionAffinityConfig { ClientIP = new ClientIPConfig { TimeoutSeconds = 10800 } },
            },
        };

        var json = JsonSerializer.Serialize(service, KubeJson.Options);

        Assert.StartsWith("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"myapp","namespace":"default"}""", json);
        Assert.Contains("\"clusterIP\":\"127.100.0.10\"", json);
        Assert.Contains("\"targetPort\":8080", json);
        Assert.Contains("\"sessionAffinityConfig\":{\"clientIP\":{\"timeoutSeconds\":10800}}", json);
        var back = JsonSerializer.Deserialize<Service>(json, KubeJson.Options)!;
        Assert.Equal(8080, back.Spec.Ports![0].TargetPort!.Value.IntValue);
        Assert.Equal(30080, back.Spec.Ports[0].NodePort);
    }

    [Fact]
    public void Named_target_port_is_a_string()
    {
        var port = JsonSerializer.Deserialize<ServicePort>("""{"port":80,"targetPort":"http"}""", KubeJson.Options)!;

        Assert.Equal("http", port.TargetPort!.Value.StringValue);
        Assert.False(port.TargetPort.Value.IsInt);
    }

    [Fact]
    public void Pod_is_ready_unless_its_ready_condition_says_otherwise()
    {
        Assert.True(new Pod().IsReady);
        Assert.False(new Pod { Status = new PodStatus { Conditions = [new PodCondition { Type = "Ready", Status = "False" }] } }.IsReady);
        Assert.True(new Pod { Status = new PodStatus { Conditions = [new PodCondition { Type = "Ready", Status = "True" }] } }.IsReady);
    }
}
