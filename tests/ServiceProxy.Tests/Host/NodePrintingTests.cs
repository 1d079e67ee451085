using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Tests.Host;

/// <summary><c>get nodes</c>, <c>get leases</c> and <c>describe node</c> as kubectl prints them.</summary>
public class NodePrintingTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static Node Node(string name, string? ready, bool cordoned = false, params string[] roles) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name,
            CreationTimestamp = Now.AddMinutes(-3),
            Labels = roles.ToDictionary(r => "node-role.kubernetes.io/" + r, _ => string.Empty),
        },
        Spec = new NodeSpec { Unschedulable = cordoned },
        Status = new NodeStatus
        {
            Addresses = [new NodeAddress { Type = "InternalIP", Address = "127.0.0.1" }, new NodeAddress { Type = "Hostname", Address = name }],
            Conditions = ready is null ? null : [new NodeCondition { Type = "Ready", Status = ready, LastHeartbeatTime = Now, LastTransitionTime = Now.AddMinutes(-3), Reason = "NodeStatusUnknown", Message = "Kubelet stopped posting node status." }],
            NodeInfo = new NodeSystemInfo { KubeletVersion = "v1.32.0-svcproxy.1.0.0", KernelVersion = "6.1.0", OSImage = "Debian GNU/Linux 13 (trixie)", ContainerRuntimeVersion = "svcproxy://1.0.0" },
        },
    };

    [Fact]
    public void Nodes_print_status_roles_age_and_version()
    {
        var text = TablePrinter.Print("Node", [Node("a", "True", false, "proxy", "control-plane"), Node("b", "Unknown"), Node("c", null, cordoned: true)], Now);
        Assert.Equal(
            """
            NAME   STATUS                       ROLES                 AGE   VERSION
            a      Ready                        control-plane,proxy   3m    v1.32.0-svcproxy.1.0.0
            b      NotReady                     <none>                3m    v1.32.0-svcproxy.1.0.0
            c      Unknown,SchedulingDisabled   <none>                3m    v1.32.0-svcproxy.1.0.0

            """.ReplaceLineEndings("\n"),
            text);
    }

    [Fact]
    public void Wide_nodes_add_addresses_and_system_info()
    {
        var lines = TablePrinter.Print("Node", [Node("a", "True")], Now, wide: true).Split('\n');
        Assert.Equal(["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(
            ["a", "Ready", "<none>", "3m", "v1.32.0-svcproxy.1.0.0", "127.0.0.1", "<none>", "Debian GNU/Linux 13 (trixie)", "6.1.0", "svcproxy://1.0.0"],
            System.Text.RegularExpressions.Regex.Split(lines[1].TrimEnd(), " {2,}"));
    }

    [Fact]
    public void Leases_print_their_holder()
    {
        var lease = new Lease { Metadata = new ObjectMeta { Name = "a", CreationTimestamp = Now.AddSeconds(-40) }, Spec = new LeaseSpec { HolderIdentity = "a" } };
        var none = new Lease { Metadata = new ObjectMeta { Name = "b", CreationTimestamp = Now.AddSeconds(-40) } };
        Assert.Equal(
            """
            NAME   HOLDER      AGE
            a      a           40s
            b      <unknown>   40s

            """.ReplaceLineEndings("\n"),
            TablePrinter.Print("Lease", [lease, none], Now));
    }

    [Fact]
    public void Describe_node_shows_the_lease_conditions_addresses_and_system_info()
    {
        var lease = new Lease { Spec = new LeaseSpec { HolderIdentity = "a", RenewTime = Now } };
        var text = NodeDescriber.Describe(Node("a", "Unknown", false, "proxy"), lease);
        Assert.StartsWith("Name:               a\nRoles:              proxy\nLabels:             node-role.kubernetes.io/proxy=\n", text, StringComparison.Ordinal);
        Assert.Contains("Lease:\n  HolderIdentity:  a\n  AcquireTime:     <unset>\n  RenewTime:       Wed, 02 Dec 2026 12:00:00 +0000\n", text, StringComparison.Ordinal);
        Assert.Contains("\n  Ready  Unknown  Wed, 02 Dec 2026 12:00:00 +0000  Wed, 02 Dec 2026 11:57:00 +0000  NodeStatusUnknown  Kubelet stopped posting node status.\n", text, StringComparison.Ordinal);
        Assert.Contains("Addresses:\n  InternalIP:  127.0.0.1\n  Hostname:    a\n", text, StringComparison.Ordinal);
        Assert.Contains("  Kubelet Version:            v1.32.0-svcproxy.1.0.0\n", text, StringComparison.Ordinal);
        Assert.EndsWith("Events:                       <none>\n", text, StringComparison.Ordinal);
    }
}
