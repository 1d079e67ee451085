using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ServiceProxy.Host.Hosting;

/// <summary>The admin API's bearer token and TLS certificate, read from what <see cref="RunOptions"/> names.</summary>
internal sealed class AdminCredentials(string? token, X509Certificate2? certificate) : IDisposable
{
    /// <summary>The token from <c>--admin-token</c> or <c>--admin-token-file</c>; null: none required.</summary>
    public string? Token => token;

    /// <summary>The certificate with its key; null: the admin API speaks HTTP.</summary>
    public X509Certificate2? Certificate => certificate;

    /// <summary>Reads the token file and the PEM files.</summary>
    /// <exception cref="FormatException">Either is unusable; the message names the option.</exception>
    public static AdminCredentials Load(RunOptions options)
    {
        if (!string.IsNullOrEmpty(options.AdminToken) && !string.IsNullOrEmpty(options.AdminTokenFile))
        {
            throw new FormatException("set --admin-token-file or --admin-token, not both");
        }

        var (token, option) = string.IsNullOrEmpty(options.AdminTokenFile) ? (options.AdminToken, "--admin-token") : (ReadTokenFile(options.AdminTokenFile), "--admin-token-file");
        if (!string.IsNullOrEmpty(token) && Encoding.UTF8.GetByteCount(token) < RunOptions.MinTokenBytes)
        {
            throw new FormatException($"{option}: the admin token has {Encoding.UTF8.GetByteCount(token)} bytes, fewer than {RunOptions.MinTokenBytes} bytes (make one with: openssl rand -hex 32)");
        }

        if (string.IsNullOrEmpty(options.AdminTlsCert) != string.IsNullOrEmpty(options.AdminTlsKey))
        {
            throw new FormatException("--admin-tls-cert and --admin-tls-key go together: set both PEM files or neither");
        }

        X509Certificate2? certificate = null;
        if (!string.IsNullOrEmpty(options.AdminTlsCert))
        {
            try
            {
                certificate = X509Certificate2.CreateFromPemFile(options.AdminTlsCert, options.AdminTlsKey);
            }
            catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                throw new FormatException($"--admin-tls-cert \"{options.AdminTlsCert}\" with --admin-tls-key \"{options.AdminTlsKey}\": {e.Message}");
            }
        }

        return new AdminCredentials(string.IsNullOrEmpty(token) ? null : token, certificate);
    }

    public void Dispose() => certificate?.Dispose();

    private static string ReadTokenFile(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"--admin-token-file \"{path}\" cannot be read: {e.Message}");
        }
    }
}
