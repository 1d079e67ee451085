using Microsoft.Extensions.Options;
using ServiceProxy.Host.Hosting;
using ServiceProxy.Kubernetes.Registry;

namespace ServiceProxy.Host.Following;

/// <summary>
/// Checks <c>--kubeconfig</c>/<c>--master</c> and what they exclude: the followed API, not a local
/// registry, is then the source of Services and Endpoints, so nothing that serves or fills a local
/// one (the api and controllers roles, manifests, the data directory, etcd) goes with them.
/// </summary>
internal sealed class RemoteApiOptionsValidator(IOptions<RunOptions> run, IOptions<RegistryOptions> registry) : IValidateOptions<RemoteApiOptions>
{
    public ValidateOptionsResult Validate(string? name, RemoteApiOptions options)
    {
        if (!options.Enabled)
        {
            return string.IsNullOrEmpty(options.TokenFile) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail("--token-file is for --master: give --master URL too");
        }

        List<string> failures = [];
        var flag = string.IsNullOrEmpty(options.Kubeconfig) ? "--master" : "--kubeconfig";
        try
        {
            _ = RemoteApiClient.Configuration(options);
        }
        catch (FormatException e)
        {
            failures.Add(e.Message);
        }

        var roles = run.Value.Roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (roles.Any(r => r is "api" or "controllers"))
        {
            failures.Add($"{flag} follows a remote API, which is then the source of Services and Endpoints: give --roles proxy (the api and controllers roles serve and run a local registry)");
        }

        if (run.Value.Filename.Count > 0)
        {
            failures.Add($"{flag} follows a remote API: manifests (-f) have no registry to go to; apply them to that API");
        }

        if (run.Value.DataDir is not null)
        {
            failures.Add($"{flag} follows a remote API: --data-dir keeps a local registry's objects, and there is none");
        }

        if (registry.Value.Etcd.Servers.Count > 0)
        {
            failures.Add($"{flag} follows a remote API: --etcd-servers would make this node a member of a registry of its own");
        }

        if (options.InitialBackoff <= TimeSpan.Zero)
        {
            // Above --remote-api-max-backoff it is capped there, as every wait is.
            failures.Add($"RemoteApi:InitialBackoff {options.InitialBackoff} is not positive");
        }

        if (options.WatchTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add($"RemoteApi:WatchTimeout {options.WatchTimeout} is shorter than 1s");
        }

        if (options.ListTimeout < TimeSpan.FromSeconds(1))
        {
            failures.Add($"RemoteApi:ListTimeout {options.ListTimeout} is shorter than 1s");
        }

        if (options.PageSize < 1 || options.MaxObjects < 1 || options.MaxMessageBytes < 1024)
        {
            failures.Add("RemoteApi: PageSize and MaxObjects must be at least 1, MaxMessageBytes at least 1024");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
