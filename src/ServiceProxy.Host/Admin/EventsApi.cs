using System.Globalization;
using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// core/v1 events: svcproxy records none, so lists are empty and watches stay quiet until they time
/// out. kubectl describe asks for a object's events; an empty EventList prints <c>Events: &lt;none&gt;</c>.
/// </summary>
internal static class EventsApi
{
    public static readonly IReadOnlyList<TableColumn> Columns =
    [
        new("Last Seen", "string", "", "Time when this Event was last observed."),
        new("Type", "string", "", "Type of this event (Normal, Warning), new types could be added in the future."),
        new("Reason", "string", "", "This should be a short, machine understandable string that gives the reason for the transition into the object's current status."),
        new("Object", "string", "", "The object that this event is about."),
        new("Message", "string", "", "A human-readable description of the status of this operation."),
    ];

    public static void MapEventsApi(this IEndpointRouteBuilder app)
    {
        app.Map("/api/v1/events", (HttpContext c) => Collection(c));
        app.Map("/api/v1/namespaces/{namespace}/events", (HttpContext c, string @namespace) => Collection(c));
        app.Map("/api/v1/namespaces/{namespace}/events/{name}", (HttpContext c, string @namespace, string name) =>
            ReadOnlyApi.Handle(c, () => throw new ApiException(ApiStatus.NotFound("events", name))));
    }

    private static Task Collection(HttpContext context) => ReadOnlyApi.Handle(context, async () =>
    {
        var store = context.RequestServices.GetRequiredService<IObjectStore>();
        if (ReadOnlyApi.IsWatch(context))
        {
            using var stream = await WatchStream.StartAsync(context, Columns);
            try
            {
                await Task.Delay(Timeout.Infinite, stream.Token);
            }
            catch (OperationCanceledException) when (stream.Token.IsCancellationRequested)
            {
                // Nothing ever happens; the watch ends with its timeout or its client.
            }

            return;
        }

        await ReadOnlyApi.WriteListAsync(context, "v1", "EventList", Columns, [], store.ResourceVersion.ToString(CultureInfo.InvariantCulture));
    });
}
