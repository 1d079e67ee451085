using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using dotnet_etcd;
using Etcdserverpb;
using Grpc.Core;
using Grpc.Net.Client;

namespace ServiceProxy.Kubernetes.Registry.Etcd;

/// <summary>
/// One gRPC channel to the members (dotnet-etcd's channel: round robin over the client URLs, a
/// member that is down skipped), with TLS from the options, and etcd's KV and Watch clients on it.
/// </summary>
internal sealed class EtcdConnection : IDisposable
{
    private readonly GrpcChannel _channel;

    public EtcdConnection(EtcdOptions options)
    {
        // Each entry may itself be a comma-separated list, as kube-apiserver's --etcd-servers is.
        var servers = options.Servers.SelectMany(s => s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
        if (servers.Count == 0)
        {
            throw new ArgumentException("no etcd servers", nameof(options));
        }

        var secure = servers.All(s => s.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        if (!secure && servers.Any(s => s.StartsWith("https://", StringComparison.OrdinalIgnoreCase)))
        {
            throw new ArgumentException("the etcd servers mix http and https", nameof(options));
        }

        _channel = new GrpcChannelFactory().CreateChannel(
            string.Join(',', servers),
            2379,
            "etcd",
            secure ? ChannelCredentials.SecureSsl : ChannelCredentials.Insecure,
            channel =>
            {
                // gRPC's default reconnect back-off grows to two minutes while the members are down;
                // capped at a quarter of a second (a cheap attempt against loopback or a LAN), every
                // node is back on etcd well within a second of it returning.
                channel.InitialReconnectBackoff = TimeSpan.FromMilliseconds(100);
                channel.MaxReconnectBackoff = TimeSpan.FromMilliseconds(250);
                if (secure)
                {
                    channel.HttpHandler = TlsHandler(options);
                }
            });
        KV = new KV.KVClient(_channel);
        Watch = new Watch.WatchClient(_channel);
        Lease = new Lease.LeaseClient(_channel);
    }

    public KV.KVClient KV { get; }

    public Watch.WatchClient Watch { get; }

    public Lease.LeaseClient Lease { get; }

    public void Dispose() => _channel.Dispose();

    private static SocketsHttpHandler TlsHandler(EtcdOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            KeepAlivePingDelay = TimeSpan.FromSeconds(10),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            EnableMultipleHttp2Connections = true,
        };
        if (options.CertFile is not null)
        {
            var certificate = X509Certificate2.CreateFromPemFile(options.CertFile, options.KeyFile);
            handler.SslOptions.ClientCertificates = [certificate];
        }

        if (options.CaFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(options.CaFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                // The members' certificates chain to the given CA, not to the system's roots.
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None
                    && chain.Build(new X509Certificate2(certificate));
            };
        }

        return handler;
    }
}
