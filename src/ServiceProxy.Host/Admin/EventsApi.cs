using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// Events, read-only (list, get, watch), from the one <see cref="IEventStore"/> the recorder writes:
/// as core/v1 Events and as events.k8s.io/v1 Events, converted field by field as kube-apiserver
/// converts them. Tables have kube-apiserver's event columns (the wide ones too).
/// </summary>
internal static class EventsApi
{
    public const string EventsGroupVersion = "events.k8s.io/v1";
    private const string EventsPrefix = "/apis/" + EventsGroupVersion;

    public static readonly IReadOnlyList<TableColumn> Columns =
    [
        new("Last Seen", "string", "", "The time at which the most recent occurrence of this event was recorded."),
        new("Type", "string", "", "Type of this event (Normal, Warning), new types could be added in the future"),
        new("Reason", "string", "", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
        new("Object", "string", "", "The object that this event is about."),
        new("Subobject", "string", "", "If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].", Priority: 1),
        new("Source", "string", "", "The component reporting this event. Should be a short machine understandable string.", Priority: 1),
        new("Message", "string", "", "A human-readable description of the status of this operation."),
        new("First Seen", "string", "", "The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)", Priority: 1),
        new("Count", "string", "", "The number of times this event has occurred.", Priority: 1),
        new("Name", "string", "name", "Name must be unique within a namespace.", Priority: 1),
    ];

    public static void MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.Map("/api/v1/events", (HttpContext c) => Collection(c, null, eventsGroup: false));
        app.Map("/api/v1/namespaces/{namespace}/events", (HttpContext c, string @namespace) => Collection(c, @namespace, eventsGroup: false));
        app.Map("/api/v1/namespaces/{namespace}/events/{name}", (HttpContext c, string @namespace, string name) => Item(c, @namespace, name, eventsGroup: false));
        app.Map(EventsPrefix + "/events", (HttpContext c) => Collection(c, null, eventsGroup: true));
        app.Map(EventsPrefix + "/namespaces/{namespace}/events", (HttpContext c, string @namespace) => Collection(c, @namespace, eventsGroup: true));
        app.Map(EventsPrefix + "/namespaces/{namespace}/events/{name}", (HttpContext c, string @namespace, string name) => Item(c, @namespace, name, eventsGroup: true));
    }

    private static Task Collection(HttpContext context, string? @namespace, bool eventsGroup) => ReadOnlyApi.Handle(context, async () =>
    {
        var events = context.RequestServices.GetRequiredService<IEventStore>();
        var filter = EventFilter.FromQuery(context.Request.Query, eventsGroup);
        if (ReadOnlyApi.IsWatch(context))
        {
            await WatchAsync(context, events, @namespace, filter, eventsGroup);
            return;
        }

        var list = events.List(@namespace);
        var now = Now(context);
        await ReadOnlyApi.WriteListAsync(
            context,
            eventsGroup ? EventsGroupVersion : "v1",
            "EventList",
            Columns,
            [.. list.Items.Where(filter.Matches).Select(e => new TableRow(Cells(e, now), Json(e, eventsGroup)))],
            list.ResourceVersion.ToString(CultureInfo.InvariantCulture));
    });

    private static Task Item(HttpContext context, string @namespace, string name, bool eventsGroup) => ReadOnlyApi.Handle(context, async () =>
    {
        var e = context.RequestServices.GetRequiredService<IEventStore>().Get(@namespace, name)
            ?? throw new ApiException(ApiStatus.NotFound(eventsGroup ? "events.events.k8s.io" : "events", name));
        await ReadOnlyApi.WriteObjectAsync(context, Columns, new TableRow(Cells(e, Now(context)), Json(e, eventsGroup)));
    });

    private static async Task WatchAsync(HttpContext context, IEventStore events, string? @namespace, EventFilter filter, bool eventsGroup)
    {
        var from = WatchApi.ParseResourceVersion(context.Request.Query["resourceVersion"].ToString());
        await using var stream = await WatchStream.StartAsync(context, Columns);
        try
        {
            if (from is null)
            {
                // No version: the current Events as ADDED first, as kube-apiserver starts such a watch.
                var list = events.List(@namespace);
                foreach (var e in list.Items.Where(filter.Matches))
                {
                    await stream.WriteAsync("ADDED", Json(e, eventsGroup), () => Cells(e, Now(context)));
                }

                from = list.ResourceVersion;
            }

            await foreach (var change in events.WatchAsync(@namespace, from.Value, stream.Token))
            {
                if (change.Object is Event e && filter.Matches(e))
                {
                    await stream.WriteAsync(WatchApi.EventType(change.Type), Json(e, eventsGroup), () => Cells(e, Now(context)));
                }
            }
        }
        catch (ObjectStoreException e) when (e.Reason == StoreErrorReason.Gone)
        {
            await stream.WriteErrorAsync(ApiStatus.Expired(e.Message));
        }
        catch (OperationCanceledException) when (stream.Token.IsCancellationRequested)
        {
            // Timeout, client gone, or shutting down.
        }
    }

    /// <summary>A core/v1 Event, or the events.k8s.io/v1 Event kube-apiserver converts it to.</summary>
    public static JsonObject Json(Event e, bool eventsGroup)
    {
        var core = JsonSerializer.SerializeToNode(e, KubeJson.Options)!.AsObject();
        if (!eventsGroup)
        {
            core["eventTime"] = null;
            core["reportingComponent"] ??= string.Empty;
            core["reportingInstance"] ??= string.Empty;
            return core;
        }

        var converted = new JsonObject
        {
            ["kind"] = "Event",
            ["apiVersion"] = EventsGroupVersion,
            ["metadata"] = core["metadata"]?.DeepClone(),
            ["eventTime"] = null,
            ["reportingController"] = e.ReportingComponent ?? string.Empty,
            ["reportingInstance"] = e.ReportingInstance ?? string.Empty,
            ["reason"] = e.Reason,
            ["regarding"] = core["involvedObject"]?.DeepClone(),
            ["note"] = e.Message,
            ["type"] = e.Type,
            ["deprecatedSource"] = core["source"]?.DeepClone(),
            ["deprecatedFirstTimestamp"] = core["firstTimestamp"]?.DeepClone(),
            ["deprecatedLastTimestamp"] = core["lastTimestamp"]?.DeepClone(),
            ["deprecatedCount"] = e.Count,
        };
        return converted;
    }

    /// <summary>kube-apiserver's printEvent, wide: every cell, kubectl hides the priority ones unless <c>-o wide</c>.</summary>
    public static IReadOnlyList<string> Cells(Event e, DateTimeOffset now)
    {
        var first = e.FirstTimestamp ?? e.Metadata.CreationTimestamp;
        var last = e.LastTimestamp ?? first;
        var target = string.IsNullOrEmpty(e.InvolvedObject.Name)
            ? (e.InvolvedObject.Kind ?? string.Empty).ToLowerInvariant()
            : $"{(e.InvolvedObject.Kind ?? string.Empty).ToLowerInvariant()}/{e.InvolvedObject.Name}";
        return
        [
            HumanDuration.Since(last, now),
            e.Type ?? string.Empty,
            e.Reason ?? string.Empty,
            target,
            e.InvolvedObject.FieldPath ?? string.Empty,
            Source(e),
            (e.Message ?? string.Empty).Trim(),
            HumanDuration.Since(first, now),
            (e.Count == 0 ? 1 : e.Count).ToString(CultureInfo.InvariantCulture),
            e.Metadata.Name ?? string.Empty,
        ];
    }

    /// <summary>kubectl's formatEventSource: the component, then <c>, host</c> when there is one.</summary>
    private static string Source(Event e)
    {
        var component = string.IsNullOrEmpty(e.Source?.Component) ? e.ReportingComponent ?? string.Empty : e.Source.Component;
        var host = string.IsNullOrEmpty(e.Source?.Host) ? e.ReportingInstance : e.Source.Host;
        return string.IsNullOrEmpty(host) ? component : $"{component}, {host}";
    }

    private static DateTimeOffset Now(HttpContext context) => context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
}
