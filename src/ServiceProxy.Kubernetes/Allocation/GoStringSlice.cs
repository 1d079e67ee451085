namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>Formats like Go's <c>%#v</c> of a <c>[]string</c>, as kube-apiserver prints <c>spec.clusterIPs</c> in errors.</summary>
internal sealed class GoStringSlice(IReadOnlyList<string> values) : IFormattable
{
    public string ToString(string? format, IFormatProvider? formatProvider) =>
        "[]string{" + string.Join(", ", values.Select(v => System.Text.Json.JsonSerializer.Serialize(v))) + "}";

    public override string ToString() => ToString(null, null);
}
