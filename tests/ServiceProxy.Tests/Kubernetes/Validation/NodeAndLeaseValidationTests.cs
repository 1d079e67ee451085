using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Validation;

/// <summary>ValidateNode and ValidateLease: kube-apiserver's rules and wording for the fields svcproxy keeps.</summary>
public class NodeAndLeaseValidationTests
{
    private static readonly IObjectValidator Validator = ObjectValidator.Default;

    private static Node ValidNode(NodeSpec? spec = null, NodeStatus? status = null) => new()
    {
        Metadata = new ObjectMeta { Name = "node-1.example", Labels = new Dictionary<string, string> { ["node-role.kubernetes.io/proxy"] = string.Empty } },
        Spec = spec,
        Status = status ?? new NodeStatus
        {
            Addresses = [new NodeAddress { Type = "InternalIP", Address = "127.0.0.1" }, new NodeAddress { Type = "Hostname", Address = "node-1" }],
            Conditions = [new NodeCondition { Type = "Ready", Status = "True" }],
            NodeInfo = new NodeSystemInfo { KubeletVersion = "svcproxy-1.0.0" },
        },
    };

    private static string[] Errors(KubeObject obj) =>
        Validator.Validate(Validator.ApplyDefaults(obj)).Select(e => e.ToString()).ToArray();

    [Fact]
    public void A_valid_node_has_no_errors() => Assert.Empty(Errors(ValidNode()));

    [Fact]
    public void A_node_name_is_a_dns_subdomain_and_a_node_has_no_namespace()
    {
        var node = ValidNode() with { Metadata = new ObjectMeta { Name = "Node_1", Namespace = "default" } };
        Assert.Equal(
            [
                "metadata.name: Invalid value: \"Node_1\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
                "metadata.namespace: Forbidden: not allowed on this type",
            ],
            Errors(node));
    }

    [Theory]
    [InlineData(new[] { "10.244.0.0/24" }, new string[0])]
    [InlineData(new[] { "10.244.0.0/24", "fd00:10:244::/64" }, new string[0])]
    [InlineData(new[] { "10.244.0.0/33" }, new[] { "spec.podCIDRs[0]: Invalid value: \"10.244.0.0/33\": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)" })]
    [InlineData(new[] { "10.244.0.0/24", "10.245.0.0/24" }, new[] { "spec.podCIDRs: Invalid value: []string{\"10.244.0.0/24\", \"10.245.0.0/24\"}: may specify no more than one CIDR for each IP family" })]
    [InlineData(new[] { "10.244.0.0/24", "10.244.0.0/24" }, new[] { "spec.podCIDRs: Invalid value: []string{\"10.244.0.0/24\", \"10.244.0.0/24\"}: may specify no more than one CIDR for each IP family", "spec.podCIDRs[1]: Duplicate value: \"10.244.0.0/24\"" })]
    public void Pod_cidrs_are_valid_one_per_family(string[] cidrs, string[] expected) =>
        Assert.Equal(expected, Errors(ValidNode(new NodeSpec { PodCIDRs = cidrs })));

    [Fact]
    public void Pod_cidr_and_pod_cidrs_are_kept_in_step()
    {
        var fromSingle = Validator.ApplyDefaults(ValidNode(new NodeSpec { PodCIDR = "10.244.1.0/24" }));
        Assert.Equal(["10.244.1.0/24"], fromSingle.Spec!.PodCIDRs!);
        var fromList = Validator.ApplyDefaults(ValidNode(new NodeSpec { PodCIDRs = ["10.244.2.0/24", "fd00::/64"] }));
        Assert.Equal("10.244.2.0/24", fromList.Spec!.PodCIDR);
    }

    [Fact]
    public void Taints_need_a_known_effect_and_are_unique_by_key_and_effect()
    {
        var node = ValidNode(new NodeSpec
        {
            Taints =
            [
                new Taint { Key = "dedicated", Value = "proxy", Effect = "NoSchedule" },
                new Taint { Key = "dedicated", Value = "other", Effect = "NoSchedule" },
                new Taint { Key = "x", Effect = "Never" },
            ],
        });
        Assert.Equal(
            [
                "metadata.taints[1]: Duplicate value: core.Taint{Key:\"dedicated\", Value:\"other\", Effect:\"NoSchedule\", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair",
                "metadata.taints[2].effect: Unsupported value: \"Never\": supported values: \"NoExecute\", \"NoSchedule\", \"PreferNoSchedule\"",
            ],
            Errors(node),
            StringComparer.Ordinal);
    }

    [Fact]
    public void Addresses_are_not_duplicated()
    {
        var address = new NodeAddress { Type = "InternalIP", Address = "127.0.0.1" };
        var node = ValidNode(status: new NodeStatus { Addresses = [address, address] });
        Assert.Equal(["status.addresses[1]: Duplicate value: core.NodeAddress{Type:\"InternalIP\", Address:\"127.0.0.1\"}"], Errors(node));
    }

    [Fact]
    public void A_lease_has_a_positive_duration_and_no_negative_transitions()
    {
        var lease = new Lease
        {
            Metadata = new ObjectMeta { Name = "node-1", Namespace = Lease.NodeLeaseNamespace },
            Spec = new LeaseSpec { HolderIdentity = "node-1", LeaseDurationSeconds = 0, LeaseTransitions = -1, PreferredHolder = "node-2" },
        };
        Assert.Equal(
            [
                "spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0",
                "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0",
                "spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined",
            ],
            Errors(lease));
        Assert.Empty(Errors(lease with { Spec = new LeaseSpec { HolderIdentity = "node-1", LeaseDurationSeconds = 40 } }));
    }

    [Fact]
    public void A_lease_carries_its_group_version()
    {
        Assert.Equal("coordination.k8s.io/v1", new Lease().ApiVersion);
        var wrong = new Lease { ApiVersion = "v1", Metadata = new ObjectMeta { Name = "a", Namespace = "default" } };
        Assert.Equal(["apiVersion: Unsupported value: \"v1\": supported values: \"coordination.k8s.io/v1\""], Errors(wrong));
    }
}
