using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ServiceProxy.FunctionalTests.Cluster;

/// <summary>
/// A throwaway PKI for etcd members on 127.0.0.1, made in the test: a self-signed CA, a server
/// certificate for 127.0.0.1 and a client certificate, all signed by it, as PEM files in a temporary
/// directory removed on dispose. A second instance is a CA the first one's members do not trust.
/// </summary>
internal sealed class EtcdTls : IDisposable
{
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private readonly string _directory = Directory.CreateTempSubdirectory("svcproxy-etcd-tls-").FullName;

    public EtcdTls()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=svcproxy test etcd CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        CaFile = Write("ca.pem", ca.ExportCertificatePem());

        (ServerCertFile, ServerKeyFile) = Issue(ca, "server", "CN=127.0.0.1", serverAuth: true, now);
        (ClientCertFile, ClientKeyFile) = Issue(ca, "client", "CN=svcproxy", serverAuth: false, now);
    }

    public string CaFile { get; }

    public string ServerCertFile { get; }

    public string ServerKeyFile { get; }

    public string ClientCertFile { get; }

    public string ClientKeyFile { get; }

    /// <summary>An HTTP client that presents the client certificate and trusts only this CA (for the members' /health).</summary>
    public HttpClient HealthClient()
    {
        var roots = new X509Certificate2Collection();
        roots.ImportFromPemFile(CaFile);
        var handler = new HttpClientHandler
        {
            ClientCertificateOptions = ClientCertificateOption.Manual,
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return certificate is not null && chain.Build(certificate);
            },
        };
        handler.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(ClientCertFile, ClientKeyFile));
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private (string Cert, string Key) Issue(X509Certificate2 ca, string name, string subject, bool serverAuth, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(serverAuth ? [ServerAuth, ClientAuth] : [ClientAuth], false));
        if (serverAuth)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), serial);
        return (Write($"{name}.pem", certificate.ExportCertificatePem()), Write($"{name}-key.pem", key.ExportPkcs8PrivateKeyPem()));
    }

    private string Write(string name, string pem)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, pem);
        return path;
    }
}
