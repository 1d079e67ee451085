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
/// one of <see cref="AdminLimits.MaxWatches"/> permits until it ends. With <c>allowWatchBookmarks=true</c>
/// (and no Table) it also sends BOOKMARK events, every <see cref="AdminApiOptions.BookmarkInterval"/> and
/// when it times out, carrying the resourceVersion of the last event delivered: a client resuming from
/// a bookmark misses nothing.
/// </summary>
internal sealed class WatchStream : IAsyncDisposable
{
    private readonly HttpContext _context;
    private readonly IReadOnlyList<TableColumn>? _columns;
    private readonly CancellationTokenSource _cancellation;
    private readonly RateLimitLease _permit;
    private readonly CancellationToken _stopping;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private bool _columnsSent;
    private (string ApiVersion, string Kind)? _bookmarks;
    private Task _bookmarkLoop = Task.CompletedTask;
    private long _delivered;

    private WatchStream(HttpContext context, IReadOnlyList<TableColumn>? columns, CancellationTokenSource cancellation, RateLimitLease permit, CancellationToken stopping)
    {
        _context = context;
        _columns = columns;
        _cancellation = cancellation;
        _permit = permit;
        _stopping = stopping;
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
            return new WatchStream(context, table ? columns : null, cancellation, permit, stopping);
        }
        catch
        {
            cancellation.Dispose();
            permit.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends BOOKMARK events of <paramref name="kind"/> from now on if the client asked for them
    /// (<c>allowWatchBookmarks=true</c>); <paramref name="from"/> is the resourceVersion the watch starts after.
    /// </summary>
    public void StartBookmarks(string apiVersion, string kind, long from)
    {
        if (_columns is not null || !string.Equals(_context.Request.Query["allowWatchBookmarks"].ToString(), "true", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        _bookmarks = (apiVersion, kind);
        Delivered(from);
        var interval = _context.RequestServices.GetRequiredService<AdminApiOptions>().BookmarkInterval;
        _bookmarkLoop = Task.Run(async () =>
        {
            try
            {
                using var timer = new PeriodicTimer(interval);
                while (await timer.WaitForNextTickAsync(Token))
                {
                    await WriteBookmarkAsync(Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
            {
                // The watch ended, or the client went away.
            }
        });
    }

    /// <summary>Every event up to <paramref name="resourceVersion"/> has been sent (or did not match): bookmarks may carry it.</summary>
    public void Delivered(long resourceVersion)
    {
        if (resourceVersion > Volatile.Read(ref _delivered))
        {
            Volatile.Write(ref _delivered, resourceVersion);
        }
    }

    /// <summary>
    /// Called when the watch loop ended by cancellation: if <c>timeoutSeconds</c> ended it (not the client or
    /// shutdown), a last bookmark tells the client where to resume, as kube-apiserver's does.
    /// </summary>
    public async Task EndAsync()
    {
        if (_bookmarks is not null && !_context.RequestAborted.IsCancellationRequested && !_stopping.IsCancellationRequested)
        {
            try
            {
                await WriteBookmarkAsync(_context.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
                // The client went away meanwhile.
            }
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

    public async ValueTask DisposeAsync()
    {
        await _cancellation.CancelAsync();
        await _bookmarkLoop;
        _cancellation.Dispose();
        _permit.Dispose();
        _writeGate.Dispose();
    }

    private Task WriteBookmarkAsync(CancellationToken cancellationToken)
    {
        var (apiVersion, kind) = _bookmarks!.Value;
        var resourceVersion = Volatile.Read(ref _delivered).ToString(CultureInfo.InvariantCulture);
        return WriteLineAsync("BOOKMARK", new JsonObject
        {
            ["kind"] = kind,
            ["apiVersion"] = apiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
        }, cancellationToken);
    }

    private Task WriteLineAsync(string type, JsonNode? obj) => WriteLineAsync(type, obj, Token);

    /// <summary>One line at a time: bookmarks come from their own loop, between the watch's events.</summary>
    private async Task WriteLineAsync(string type, JsonNode? obj, CancellationToken cancellationToken)
    {
        var line = new JsonObject { ["type"] = type, ["object"] = obj }.ToJsonString() + "\n";
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await _context.Response.WriteAsync(line, cancellationToken);
            await _context.Response.Body.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeGate.Release();
        }
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
