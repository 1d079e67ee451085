using System.Net;
using k8s;
using k8s.Autorest;
using Microsoft.Extensions.Options;

namespace ServiceProxy.Host.Following;

/// <summary>
/// Follows Services and their endpoints (EndpointSlices, or v1 Endpoints where the API has none)
/// from a remote Kubernetes API into this process's registry, as kube-proxy's informers do: list,
/// then watch from the list's resourceVersion with bookmarks, resuming each watch where the last one
/// ended; a 410 Gone lists again; any other failure waits (<see cref="Backoff"/>) and resumes. The
/// registry keeps the last state meanwhile, so the data plane keeps proxying it.
/// </summary>
internal sealed partial class RemoteApiFollower : BackgroundService
{
    public const string ServicesStream = "services";
    public const string EndpointsStream = "endpoints";

    private readonly RemoteApiOptions _options;
    private readonly IReadOnlyList<IFollowedResource> _services;
    private readonly IReadOnlyList<IFollowedResource> _endpoints;
    private readonly RemoteApiStatus _status;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _server;

    public RemoteApiFollower(RemoteApiClient client, IOptions<RemoteApiOptions> options, RemoteApiStatus status, TimeProvider time, ILogger<RemoteApiFollower> logger)
        : this(client.Server, [client.Services], [client.EndpointSlices, client.Endpoints], options.Value, status, time, logger)
    {
    }

    /// <param name="services">The Services collection.</param>
    /// <param name="endpoints">Where endpoints come from, in order of preference: the first the API serves (not 404) is followed.</param>
    internal RemoteApiFollower(string server, IReadOnlyList<IFollowedResource> services, IReadOnlyList<IFollowedResource> endpoints, RemoteApiOptions options, RemoteApiStatus status, TimeProvider time, ILogger logger)
    {
        _server = server;
        _services = services;
        _endpoints = endpoints;
        _options = options;
        _status = status;
        _time = time;
        _logger = logger;
        _status.Add(ServicesStream);
        _status.Add(EndpointsStream);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogFollowing(_server);
        return Task.WhenAll(FollowAsync(ServicesStream, _services, stoppingToken), FollowAsync(EndpointsStream, _endpoints, stoppingToken));
    }

    /// <summary>One stream's list-and-watch loop, until the host stops.</summary>
    internal async Task FollowAsync(string stream, IReadOnlyList<IFollowedResource> candidates, CancellationToken stopping)
    {
        await Task.Yield();
        var backoff = new Backoff(_options.InitialBackoff, _options.MaxBackoff);
        IFollowedResource? resource = null;
        string? version = null;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (version is null || resource is null)
                {
                    (resource, version) = await ListAsync(stream, candidates, stopping).ConfigureAwait(false);
                    _status.Listed(stream, resource.Name);
                    LogListed(stream, resource.Name, version);
                }

                var (last, gone) = await WatchAsync(stream, resource, version, backoff, stopping).ConfigureAwait(false);
                if (gone)
                {
                    LogGone(stream, resource.Name, last, "410 Gone");
                    version = null;
                }
                else
                {
                    version = last;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.Gone
                || (e.Response?.StatusCode == HttpStatusCode.GatewayTimeout && e.Response.Content?.Contains("Too large resource version", StringComparison.Ordinal) == true))
            {
                // A watch refused at once: its resourceVersion is older than the API keeps, or newer than it has
                // (an API restarted with new versions); either way only a new list is consistent.
                LogGone(stream, resource?.Name ?? stream, version, Reason(e));
                version = null;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var delay = backoff.Next();
                LogFailed(stream, Reason(e), backoff.Failures, delay.TotalMilliseconds);
                await Task.Delay(delay, _time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private async Task<(IFollowedResource Resource, string Version)> ListAsync(string stream, IReadOnlyList<IFollowedResource> candidates, CancellationToken stopping)
    {
        for (var i = 0; ; i++)
        {
            try
            {
                return (candidates[i], await candidates[i].ListAsync(_options.PageSize, _options.MaxObjects, _options.ListTimeout, stopping).ConfigureAwait(false));
            }
            catch (HttpOperationException e) when (e.Response?.StatusCode == HttpStatusCode.NotFound && i + 1 < candidates.Count)
            {
                LogFallback(stream, candidates[i].Name, candidates[i + 1].Name);
            }
        }
    }

    /// <summary>One watch, until it ends; returns the last resourceVersion seen and whether it ended with 410 Gone.</summary>
    private async Task<(string Version, bool Gone)> WatchAsync(string stream, IFollowedResource resource, string version, Backoff backoff, CancellationToken stopping)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Exception? error = null;
        var timeout = (int)Math.Max(1, _options.WatchTimeout.TotalSeconds * (1 + (Random.Shared.NextDouble() / 4)));
        // Open once the response headers arrive; the client returns the response later, with its first line.
        RemoteApiResponses.WatchOpened.Value = () => _status.Watching(stream, open: true);
        try
        {
            var events = await resource.WatchAsync(version, timeout, e =>
            {
                error ??= e;
                abort.Cancel();
            }, abort.Token).ConfigureAwait(false);
            if (backoff.Failures > 0)
            {
                LogBack(stream, backoff.Failures);
                backoff.Reset();
            }

            await foreach (var (type, obj) in events.WithCancellation(abort.Token).ConfigureAwait(false))
            {
                _status.Contact(stream);
                if (type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted && !resource.Apply(type, obj, _options.MaxObjects))
                {
                    throw new InvalidOperationException($"{resource.Name}: more than {_options.MaxObjects} objects; raise RemoteApi:MaxObjects to follow them");
                }

                if (obj.Metadata?.ResourceVersion is { Length: > 0 } next)
                {
                    version = next;
                }
            }
        }
        catch (OperationCanceledException) when (error is not null && !stopping.IsCancellationRequested)
        {
            // The ERROR event (or a line that did not parse) ended the watch.
        }
        finally
        {
            _status.Watching(stream, open: false);
        }

        return error switch
        {
            null => (version, false),
            KubernetesException { Status.Code: (int)HttpStatusCode.Gone } => (version, true),
            _ => throw new IOException($"watch of {resource.Name}: {error.Message}", error),
        };
    }

    private static string Reason(Exception e) => e switch
    {
        HttpOperationException { Response: { } response } => $"{(int)response.StatusCode} {response.ReasonPhrase}{StatusMessage(response.Content)}",
        _ when e.InnerException is { } inner and not KubernetesException => $"{e.Message} ({inner.Message})",
        _ => e.Message,
    };

    /// <summary>The message of a v1 Status body, if the body is one.</summary>
    private static string StatusMessage(string? content)
    {
        try
        {
            return content is { Length: > 0 } && System.Text.Json.Nodes.JsonNode.Parse(content)?["message"]?.GetValue<string>() is { } message ? ": " + message : string.Empty;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
        {
            return string.Empty;
        }
    }

    [LoggerMessage(EventId = 550, Level = LogLevel.Information, Message = "following Services and their endpoints from the API at {Server}")]
    private partial void LogFollowing(string server);

    [LoggerMessage(EventId = 551, Level = LogLevel.Information, Message = "{Stream}: listed {Resource} at resourceVersion {Version}; watching from there")]
    private partial void LogListed(string stream, string resource, string version);

    [LoggerMessage(EventId = 552, Level = LogLevel.Information, Message = "{Stream}: the API no longer serves {Resource} from resourceVersion {Version} ({Reason}); listing again")]
    private partial void LogGone(string stream, string resource, string? version, string reason);

    [LoggerMessage(EventId = 553, Level = LogLevel.Warning, Message = "{Stream}: the remote API failed ({Reason}); attempt {Failures} failed, retrying in {DelayMs:0} ms with the last known state")]
    private partial void LogFailed(string stream, string reason, int failures, double delayMs);

    [LoggerMessage(EventId = 554, Level = LogLevel.Information, Message = "{Stream}: the API serves no {Resource} (404); following {Fallback}")]
    private partial void LogFallback(string stream, string resource, string fallback);

    [LoggerMessage(EventId = 555, Level = LogLevel.Information, Message = "{Stream}: back in touch with the remote API after {Failures} failed attempts")]
    private partial void LogBack(string stream, int failures);
}
