using System.Net;
using Microsoft.Extensions.Options;

namespace ServiceProxy.Host.Hosting;

/// <summary>Every check <c>run</c> makes on its own settings before binding anything; each message names the option and says what is wrong.</summary>
internal sealed class RunOptionsValidator : IValidateOptions<RunOptions>
{
    public ValidateOptionsResult Validate(string? name, RunOptions options)
    {
        List<string> failures = [];
        Check(failures, () => _ = options.AdminEndPoint);
        Check(failures, () => _ = options.MinimumLevel);
        Check(failures, () => _ = options.NodeAddresses);
        Check(failures, () => _ = options.RoleSet);
        if (options.LogFormat is not ("text" or "json"))
        {
            failures.Add($"--log-format \"{options.LogFormat}\" is not text or json");
        }

        if (options.MinRequestTimeout is < 1 or > 86400)
        {
            failures.Add($"--min-request-timeout {options.MinRequestTimeout} is not within 1-86400 seconds");
        }

        foreach (var origin in options.AdminAllowedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/")
            {
                failures.Add($"--admin-allowed-origins \"{origin}\" is not an origin such as https://dashboard.example:8443");
            }
        }

        Check(failures, () =>
        {
            using var credentials = AdminCredentials.Load(options);
            if (credentials.Token is null && IPEndPoint.TryParse(options.Admin, out var admin) && !IPAddress.IsLoopback(admin.Address))
            {
                throw new FormatException(
                    $"--admin {options.Admin} is not a loopback address: set --admin-token-file or --admin-token (or SVCPROXY_ADMIN_TOKEN_FILE) so the admin API is not open to the network without authentication");
            }
        });
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(List<string> failures, Action check)
    {
        try
        {
            check();
        }
        catch (FormatException e)
        {
            failures.Add(e.Message);
        }
    }
}

/// <summary>
/// The checks <see cref="RunSettings"/> attaches to settings of <typeparamref name="TOptions"/>
/// (<c>--busy-poll-us 2000000 is not within 0-1000000</c>), named by flag.
/// </summary>
internal sealed class RunSettingsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        List<string> failures = [];
        foreach (var setting in RunSettings.All)
        {
            if (setting.Check is { } check && RunSettings.Sections[setting.Key.Split(':')[0]] == typeof(TOptions)
                && setting.Read(options) is var value && check(value) is { } problem)
            {
                failures.Add($"{setting.Flag} {setting.Display(value)} {problem}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
