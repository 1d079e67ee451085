using ServiceProxy.Kubernetes.Labels;
using Microsoft.Extensions.Primitives;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>The <c>labelSelector</c> and <c>fieldSelector</c> (metadata.name, metadata.namespace) of a list or watch.</summary>
internal sealed class ObjectFilter
{
    private readonly LabelSelector _labels;
    private readonly List<(string Field, string Value, bool Equal)> _fields;

    private ObjectFilter(LabelSelector labels, List<(string, string, bool)> fields)
    {
        _labels = labels;
        _fields = fields;
    }

    /// <summary>From the query string; <paramref name="name"/> (a watch on one object) adds metadata.name=name.</summary>
    public static ObjectFilter FromQuery(IQueryCollection query, string? name)
    {
        LabelSelector labels;
        try
        {
            labels = LabelSelector.Parse(query["labelSelector"]);
        }
        catch (FormatException e)
        {
            throw new ApiException(ApiStatus.BadRequest(e.Message));
        }

        var fields = new List<(string, string, bool)>();
        if (name is not null)
        {
            fields.Add(("metadata.name", name, true));
        }

        foreach (var term in Split(query["fieldSelector"]))
        {
            var notEqual = term.IndexOf("!=", StringComparison.Ordinal);
            var (field, value, equal) = notEqual > 0
                ? (term[..notEqual], term[(notEqual + 2)..], false)
                : term.Split('=', 2) is [var f, var v] ? (f, v.TrimStart('='), true) : throw new ApiException(ApiStatus.BadRequest($"invalid selector: '{term}'; can't understand '{term}'"));
            if (field is not ("metadata.name" or "metadata.namespace"))
            {
                throw new ApiException(ApiStatus.BadRequest($"\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""));
            }

            fields.Add((field, value, equal));
        }

        return new ObjectFilter(labels, fields);
    }

    public bool Matches(KubeObject obj) => Matches(obj.Metadata);

    public bool Matches(ObjectMeta metadata) =>
        _labels.Matches(metadata.Labels)
        && _fields.All(f => (f.Field == "metadata.name" ? metadata.Name : metadata.NamespaceOrDefault) == f.Value == f.Equal);

    private static IEnumerable<string> Split(StringValues values) =>
        values.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
