using Microsoft.Extensions.Primitives;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Labels;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// The <c>labelSelector</c> and <c>fieldSelector</c> of an Event list or watch, with the fields
/// kube-apiserver lets clients select Events by (kubectl describe asks for
/// <c>involvedObject.name</c>, <c>.namespace</c>, <c>.kind</c> and <c>.uid</c>); events.k8s.io's names
/// (<c>regarding.*</c>, <c>reportingController</c>) are the same fields.
/// </summary>
internal sealed class EventFilter
{
    private static readonly Dictionary<string, Func<Event, string?>> Fields = new(StringComparer.Ordinal)
    {
        ["metadata.name"] = e => e.Metadata.Name,
        ["metadata.namespace"] = e => e.Metadata.Namespace,
        ["involvedObject.kind"] = e => e.InvolvedObject.Kind,
        ["involvedObject.namespace"] = e => e.InvolvedObject.Namespace,
        ["involvedObject.name"] = e => e.InvolvedObject.Name,
        ["involvedObject.uid"] = e => e.InvolvedObject.Uid,
        ["involvedObject.apiVersion"] = e => e.InvolvedObject.ApiVersion,
        ["involvedObject.resourceVersion"] = e => e.InvolvedObject.ResourceVersion,
        ["involvedObject.fieldPath"] = e => e.InvolvedObject.FieldPath,
        ["reason"] = e => e.Reason,
        ["reportingComponent"] = e => e.ReportingComponent,
        ["source"] = e => string.IsNullOrEmpty(e.Source?.Component) ? e.ReportingComponent : e.Source.Component,
        ["type"] = e => e.Type,
    };

    private readonly LabelSelector _labels;
    private readonly List<(Func<Event, string?> Field, string Value, bool Equal)> _fields;

    private EventFilter(LabelSelector labels, List<(Func<Event, string?>, string, bool)> fields)
    {
        _labels = labels;
        _fields = fields;
    }

    /// <summary>From the query; <paramref name="eventsGroup"/> reads events.k8s.io's field names.</summary>
    public static EventFilter FromQuery(IQueryCollection query, bool eventsGroup)
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

        var fields = new List<(Func<Event, string?>, string, bool)>();
        foreach (var term in Split(query["fieldSelector"]))
        {
            var notEqual = term.IndexOf("!=", StringComparison.Ordinal);
            var (field, value, equal) = notEqual > 0
                ? (term[..notEqual], term[(notEqual + 2)..], false)
                : term.Split('=', 2) is [var f, var v] ? (f, v.TrimStart('='), true) : throw new ApiException(ApiStatus.BadRequest($"invalid selector: '{term}'; can't understand '{term}'"));
            var name = eventsGroup ? FromEventsGroup(field) : field;
            if (!Fields.TryGetValue(name, out var read))
            {
                throw new ApiException(ApiStatus.BadRequest($"field label not supported: {field}"));
            }

            fields.Add((read, value, equal));
        }

        return new EventFilter(labels, fields);
    }

    public bool Matches(Event e) =>
        _labels.Matches(e.Metadata.Labels) && _fields.All(f => (f.Field(e) ?? string.Empty) == f.Value == f.Equal);

    private static string FromEventsGroup(string field) =>
        field.StartsWith("regarding.", StringComparison.Ordinal) ? "involvedObject." + field["regarding.".Length..]
        : field == "reportingController" ? "reportingComponent"
        : field is "metadata.name" or "metadata.namespace" or "reason" or "type" ? field
        : "unknown:" + field;

    private static IEnumerable<string> Split(StringValues values) =>
        values.SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
