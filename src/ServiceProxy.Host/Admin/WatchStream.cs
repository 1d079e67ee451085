using System.Globalization;
using System.Text.Json;
using System.Threading.RateLimiting;
using System.Text.Json.Nodes;
using ServiceProxy.Host.Printing;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Host.Admin;

/// <summary>
/// The response side of a watch: newline-delimited <c>{"type":…,"object":…}</c> events, each flushed.
/// When the client asked for a Table (kubectl get -w), each object is a one-row Table; only the
/// first carries column definitions, which kubectl keeps for the rows after it. Each open watch holds
/// one of <see cref="AdminLimits.MaxWatches"/> permits until it ends.
/// </summary>
internal sealed class WatchStream : IDisposable
{
    private readonly HttpContext _context;
    private readonly IReadOnlyList<TableColumn>? _columns;
    private readonly CancellationTokenSource _cancellation;
    private readonly RateLimitLease _permit;
    private bool _columnsSent;

    private WatchStream(HttpContext context, IReadOnlyList<TableColumn>? columns, CancellationTokenSource cancellation, RateLimitLease permit)
    {
        _context = context;
        _columns = columns;
        _cancellation = cancellation;
        _permit = permit;
    }

    /// <summary>
    /// The longest watch: <see cref="CancellationTokenSource.CancelAfter(TimeSpan)"/> takes no more.
    /// kube-apiserver takes any int64 <c>timeoutSeconds</c>; beyond this one it is clamped, about 24 days.
    /// </summary>
    public static TimeSpan MaxTimeout { get; } = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>Ends with the client, the host, or <c>timeoutSeconds</c>, whichever comes first.</summary>
    public CancellationToken Token => _cancellation.Token;

    /// <summary>
    /// Sends the response headers at once (a watch with nothing to report must still look alive), and
    /// returns the stream; <paramref name="columns"/> are the Table columns if the client asked for a Table.
    /// </summary>
    public static async Task<WatchStream> StartAsync(HttpContext context, IReadOnlyList<TableColumn> columns)
    {
        var options = context.RequestServices.GetRequiredService<AdminApiOptions>();
        var timeout = ParseTimeout(context.Request.Query["timeoutSeconds"].ToString()) ?? DefaultTimeout(options.MinRequestTimeout);
        var table = TableResponses.IsTableRequested(context.Request);
        if (table)
        {
            _ = TableResponses.IncludeObject(context.Request); // A bad value is a 400 before the stream starts.
        }

        var permit = context.RequestServices.GetRequiredKeyedService<ConcurrencyLimiter>(AdminApi.WatchLimiterKey).AttemptAcquire();
        if (!permit.IsAcquired)
        {
            permit.Dispose();
            context.Response.Headers.RetryAfter = "1";
            throw new ApiException(ApiStatus.TooManyRequests());
        }

        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        try
        {
            cancellation.CancelAfter(timeout);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await context.Response.StartAsync(context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            return new WatchStream(context, table ? columns : null, cancellation, permit);
        }
        catch
        {
            cancellation.Dispose();
            permit.Dispose();
            throw;
        }
    }

    /// <summary>A store object's event.</summary>
    public Task WriteAsync(string type, KubeObject obj)
    {
        var json = JsonSerializer.SerializeToNode(obj, obj.GetType(), KubeJson.Options)!.AsObject();
        return WriteAsync(type, json, () => ResourceTables.Cells(obj, _context.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow()));
    }

    /// <summary>An event about <paramref name="obj"/>; <paramref name="cells"/> makes its Table row when one was asked for.</summary>
    public async Task WriteAsync(string type, JsonObject obj, Func<IReadOnlyList<string>> cells)
    {
        JsonNode payload = obj.Parent is null ? obj : obj.DeepClone();
        if (_columns is not null)
        {
            var resourceVersion = obj["metadata"]?["resourceVersion"]?.GetValue<string>();
            payload = TableResponses.Build(_context, _columnsSent ? [] : _columns, [new TableRow(cells(), obj)], resourceVersion);
            _columnsSent = true;
        }

        await WriteLineAsync(type, payload);
    }

    /// <summary>The ERROR event that ends a watch (e.g. 410 Expired): its object is a Status, never a Table.</summary>
    public Task WriteErrorAsync(ApiStatus status) => WriteLineAsync("ERROR", JsonSerializer.SerializeToNode(status, KubeJson.Options));

    public void Dispose()
    {
        _cancellation.Dispose();
        _permit.Dispose();
    }

    private async Task WriteLineAsync(string type, JsonNode? obj)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n";
        await _context.Response.WriteAsync(line, Token);
        await _context.Response.Body.FlushAsync(Token);
    }

    /// <summary>
    /// <c>timeoutSeconds</c> as kube-apiserver reads it: an int64 number of seconds, 0 meaning the
    /// server's default; negative or not a number is a 400, and beyond <see cref="MaxTimeout"/> it is clamped.
    /// </summary>
    private static TimeSpan? ParseTimeout(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            throw new ApiException(ApiStatus.BadRequest($"invalid timeoutSeconds \"{text}\""));
        }

        return seconds == 0 ? null : seconds >= MaxTimeout.TotalSeconds ? MaxTimeout : TimeSpan.FromSeconds(seconds);
    }

    /// <summary>kube-apiserver's: a random time between one and two <c>--min-request-timeout</c>s, so that watches opened together do not all end together.</summary>
    private static TimeSpan DefaultTimeout(TimeSpan minRequestTimeout) => minRequestTimeout * (1 + Random.Shared.NextDouble());
}
