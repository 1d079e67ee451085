using k8s;
using Microsoft.Extensions.Options;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Following;

/// <summary>
/// The official Kubernetes client, configured from <c>--kubeconfig</c> (its current context: server,
/// token or client certificate, CA) and/or <c>--master</c> with <c>--token-file</c>, and the
/// collections followed through it. Every response passes <see cref="RemoteApiResponses"/>.
/// </summary>
internal sealed class RemoteApiClient : IDisposable
{
    private readonly k8s.Kubernetes _client;

    public RemoteApiClient(IOptions<RemoteApiOptions> options, IObjectMirror mirror, IObjectStore store, ILogger<RemoteApiClient> logger)
    {
        var o = options.Value;
        var config = Configuration(o);
        // A watch lasts up to WatchTimeout and a quarter; the client's timeout must not cut it short.
        config.HttpClientTimeout = (o.WatchTimeout * 1.25) + TimeSpan.FromMinutes(1);
        _client = new k8s.Kubernetes(config, new RemoteApiResponses(o.MaxMessageBytes, logger));
        Server = config.Host;
        Services = new FollowedServices(_client, mirror, store);
        EndpointSlices = new FollowedEndpointSlices(_client, mirror, store);
        Endpoints = new FollowedEndpoints(_client, mirror, store);
    }

    /// <summary>The API server's URL.</summary>
    public string Server { get; }

    public IFollowedResource Services { get; }

    public IFollowedResource EndpointSlices { get; }

    public IFollowedResource Endpoints { get; }

    /// <summary>The client configuration <paramref name="options"/> describe; throws <see cref="FormatException"/> naming the option at fault.</summary>
    public static KubernetesClientConfiguration Configuration(RemoteApiOptions options)
    {
        KubernetesClientConfiguration config;
        if (!string.IsNullOrEmpty(options.Kubeconfig))
        {
            try
            {
                config = KubernetesClientConfiguration.BuildConfigFromConfigFile(options.Kubeconfig);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new FormatException($"--kubeconfig \"{options.Kubeconfig}\": {e.Message}", e);
            }
        }
        else
        {
            config = new KubernetesClientConfiguration();
        }

        if (!string.IsNullOrEmpty(options.Master))
        {
            config.Host = options.Master;
        }

        if (!string.IsNullOrEmpty(options.TokenFile))
        {
            try
            {
                // Re-read when the file changes, so a rotated token takes over without a restart.
                config.AccessToken = null;
                config.TokenProvider = new TokenFileProvider(options.TokenFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new FormatException($"--token-file \"{options.TokenFile}\": {e.Message}", e);
            }
        }

        if (!Uri.TryCreate(config.Host, UriKind.Absolute, out var server) || server.Scheme is not ("http" or "https"))
        {
            throw new FormatException($"the remote API's server \"{config.Host}\" is not an http or https URL (--master, or the kubeconfig's cluster server)");
        }

        return config;
    }

    public void Dispose() => _client.Dispose();
}
