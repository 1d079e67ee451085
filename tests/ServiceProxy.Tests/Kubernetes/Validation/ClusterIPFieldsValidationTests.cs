using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Tests.Kubernetes.Validation;

/// <summary>kube-apiserver's update rules for clusterIPs and ipFamilies (validateUpgradeDowngrade*), with its messages.</summary>
public sealed class ClusterIPFieldsValidationTests
{
    private static readonly IObjectValidator Validator = ObjectValidator.Default;

    private static Service Dual(Func<ServiceSpec, ServiceSpec>? change = null) => Validator.ApplyDefaults(ServiceValidationTests.Valid(s => (change ?? (x => x))(s with
    {
        ClusterIP = "10.96.0.10",
        ClusterIPs = ["10.96.0.10", "fd00::10"],
        IpFamilies = ["IPv4", "IPv6"],
        IpFamilyPolicy = "PreferDualStack",
    })));

    public static TheoryData<string, string?> Updates => new()
    {
        { "unchanged", null },
        { "downgrade", null },
        { "secondary ip changed", "spec.clusterIPs[1]: Invalid value: []string{\"10.96.0.10\", \"fd00::11\"}: may not change once set" },
        { "secondary ip dropped without single stack", "spec.ipFamilyPolicy: Invalid value: \"PreferDualStack\": must be set to 'SingleStack' when releasing the secondary clusterIP" },
        { "secondary family dropped without single stack", "spec.ipFamilyPolicy: Invalid value: \"PreferDualStack\": must be set to 'SingleStack' when releasing the secondary ipFamily" },
        { "families swapped", "spec.ipFamilies[0]: Invalid value: []string{\"IPv6\", \"IPv4\"}: may not change once set" },
        { "headless families", null },
        { "to external name", null },
    };

    [Theory]
    [MemberData(nameof(Updates))]
    public void Updates_follow_kube_apiservers_upgrade_and_downgrade_rules(string change, string? expected)
    {
        var old = Dual();
        var updated = change switch
        {
            "unchanged" => Dual(),
            "downgrade" => Dual(s => s with { ClusterIPs = ["10.96.0.10"], IpFamilies = ["IPv4"], IpFamilyPolicy = "SingleStack" }),
            "secondary ip changed" => Dual(s => s with { ClusterIPs = ["10.96.0.10", "fd00::11"] }),
            "secondary ip dropped without single stack" => Dual(s => s with { ClusterIPs = ["10.96.0.10"] }),
            "secondary family dropped without single stack" => Dual(s => s with { IpFamilies = ["IPv4"] }),
            "families swapped" => Dual(s => s with { IpFamilies = ["IPv6", "IPv4"], ClusterIP = "fd00::10", ClusterIPs = ["fd00::10", "10.96.0.10"] }),
            "headless families" => Dual(s => s with { ClusterIP = "None", ClusterIPs = ["None"], IpFamilies = ["IPv6"] }),
            _ => Dual(s => s with { Type = "ExternalName", ExternalName = "db.example.com", ClusterIP = null, ClusterIPs = null, IpFamilies = null, IpFamilyPolicy = null }),
        };
        if (change == "headless families")
        {
            old = Dual(s => s with { ClusterIP = "None", ClusterIPs = ["None"] });
        }

        var errors = Validator.Validate(updated, old).Select(e => e.ToString()).ToArray();

        if (expected is null)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains(expected, errors);
        }
    }
}
