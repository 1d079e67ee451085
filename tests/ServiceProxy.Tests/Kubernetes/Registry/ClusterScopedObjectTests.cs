using System.Text.Json;
using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>Nodes (cluster-scoped) and Leases in the store and in manifests.</summary>
public sealed class ClusterScopedObjectTests
{
    private static IObjectStore RealStore() => ObjectStore.CreateInMemory(new RegistryOptions(), ObjectValidator.Default);

    [Fact]
    public async Task A_node_is_stored_without_a_namespace_and_found_by_name()
    {
        var store = RealStore();
        var created = await store.CreateAsync(new Node { Metadata = new ObjectMeta { Name = "node-1", Namespace = "default" } });

        Assert.Null(created.Metadata.Namespace);
        Assert.Equal("node-1", store.Get<Node>(string.Empty, "node-1")!.Metadata.Name);
        Assert.Single(store.List<Node>().Items);
        Assert.DoesNotContain("namespace", JsonSerializer.Serialize(created, KubeJson.Options), StringComparison.Ordinal);

        await store.UpdateAsync(created with { Status = new NodeStatus { Conditions = [new NodeCondition { Type = "Ready", Status = "True" }] } });
        Assert.Equal("True", store.Get<Node>(string.Empty, "node-1")!.ReadyStatus);
        await store.DeleteAsync<Node>(string.Empty, "node-1");
        Assert.Empty(store.List<Node>().Items);
    }

    [Fact]
    public async Task A_lease_is_namespaced_and_keeps_micro_times()
    {
        var store = RealStore();
        var renew = new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero).AddTicks(1234560);
        var lease = await store.CreateAsync(new Lease
        {
            Metadata = new ObjectMeta { Name = "node-1", Namespace = Lease.NodeLeaseNamespace },
            Spec = new LeaseSpec { HolderIdentity = "node-1", LeaseDurationSeconds = 40, RenewTime = renew },
        });

        Assert.Equal(Lease.NodeLeaseNamespace, store.Get<Lease>(Lease.NodeLeaseNamespace, "node-1")!.Metadata.Namespace);
        Assert.Null(store.Get<Lease>("default", "node-1"));
        var json = JsonSerializer.Serialize(lease, KubeJson.Options);
        Assert.Contains("\"apiVersion\":\"coordination.k8s.io/v1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"renewTime\":\"2026-12-02T12:00:00.123456Z\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_manifest_decodes_every_kept_field()
    {
        var result = ManifestReader.LoadText(
            """
            apiVersion: v1
            kind: Node
            metadata:
              name: node-1
              labels:
                node-role.kubernetes.io/proxy: ""
            spec:
              podCIDR: 10.244.0.0/24
              unschedulable: true
              taints:
              - key: dedicated
                value: proxy
                effect: NoSchedule
            status:
              addresses:
              - type: InternalIP
                address: 127.0.0.1
              conditions:
              - type: Ready
                status: "True"
                lastHeartbeatTime: "2026-12-02T12:00:00Z"
              nodeInfo:
                kubeletVersion: v1.32.0
                osImage: Debian GNU/Linux 13
              daemonEndpoints:
                kubeletEndpoint:
                  Port: 10250
            """,
            "node.yaml");

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var node = Assert.IsType<Node>(result.Objects[0].Object);
        Assert.Equal(["10.244.0.0/24"], node.Spec!.PodCIDRs!);
        Assert.True(node.Spec.Unschedulable);
        Assert.Equal("NoSchedule", node.Spec.Taints![0].Effect);
        Assert.Equal("127.0.0.1", node.Status!.Addresses![0].Address);
        Assert.Equal("True", node.ReadyStatus);
        Assert.Equal("v1.32.0", node.Status.NodeInfo!.KubeletVersion);
    }

    [Fact]
    public void A_node_manifest_reports_a_wrong_type_at_its_line()
    {
        var result = ManifestReader.LoadText("apiVersion: v1\nkind: Node\nmetadata:\n  name: node-1\nspec:\n  unschedulable: maybe\n", "node.yaml");
        Assert.Equal(["node.yaml:6 spec.unschedulable: Invalid value: \"maybe\": must be a boolean"], result.Errors.Select(e => e.ToString()));
    }
}
