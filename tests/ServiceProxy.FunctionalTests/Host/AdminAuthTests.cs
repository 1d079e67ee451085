using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Host;

public sealed class AdminAuthTests
{
    private const string Token = "s3cret-token-0123456789";

    [Fact]
    public async Task Non_loopback_admin_without_a_token_is_refused_at_start()
    {
        var result = await HostProcess.RunCliAsync(["run", "--admin", $"0.0.0.0:{Ports.FreeTcpPort()}", "--node-address", "127.0.0.1"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("--admin-token", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("not a loopback address", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_token_requests_without_it_get_a_401_Status()
    {
        await using var host = await HostProcess.StartAsync(["--admin-token", Token]);

        using var anonymous = await host.Http.GetAsync("/api/v1/services");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        var status = JsonNode.Parse(await anonymous.Content.ReadAsStringAsync());
        Assert.Equal("Status", status?["kind"]?.ToString());
        Assert.Equal("Unauthorized", status?["reason"]?.ToString());
        Assert.Equal(401, (int)status!["code"]!);

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", "guess") } };
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.Http.SendAsync(wrong)).StatusCode);

        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };
        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(right)).StatusCode);

        var cli = await HostProcess.RunCliAsync(["get", "svc", "--server", host.AdminUrl, "--token", Token]);
        Assert.Equal(0, cli.ExitCode);
    }

    [Fact]
    public async Task A_token_shorter_than_16_bytes_is_refused_at_start_naming_the_option()
    {
        var inline = await HostProcess.RunCliAsync(["run", "--admin", $"127.0.0.1:{Ports.FreeTcpPort()}", "--node-address", "127.0.0.1", "--admin-token", "s3cret"]);
        Assert.Equal(1, inline.ExitCode);
        Assert.Contains("--admin-token", inline.Stderr, StringComparison.Ordinal);
        Assert.Contains("16 bytes", inline.Stderr, StringComparison.Ordinal);

        using var file = new TempFile("s3cret\n");
        var fromFile = await HostProcess.RunCliAsync(["run", "--admin", $"127.0.0.1:{Ports.FreeTcpPort()}", "--node-address", "127.0.0.1", "--admin-token-file", file.Path]);
        Assert.Equal(1, fromFile.ExitCode);
        Assert.Contains("--admin-token-file", fromFile.Stderr, StringComparison.Ordinal);
        Assert.Contains("16 bytes", fromFile.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_comes_from_a_file_for_the_host_the_CLI_and_the_kubeconfig()
    {
        using var file = new TempFile(Token + "\n");
        await using var host = await HostProcess.StartAsync(["--admin-token-file", file.Path]);

        using var anonymous = await host.Http.GetAsync("/api/v1/services");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var right = new HttpRequestMessage(HttpMethod.Get, "/api/v1/services") { Headers = { Authorization = new AuthenticationHeaderValue("Bearer", Token) } };
        Assert.Equal(HttpStatusCode.OK, (await host.Http.SendAsync(right)).StatusCode);

        var cli = await HostProcess.RunCliAsync(["get", "svc", "--server", host.AdminUrl, "--token-file", file.Path]);
        Assert.True(cli.ExitCode == 0, cli.Stderr);
        var fromEnvironment = await HostProcess.RunCliAsync(["get", "svc", "--server", host.AdminUrl], environment: new Dictionary<string, string> { ["SVCPROXY_TOKEN_FILE"] = file.Path });
        Assert.True(fromEnvironment.ExitCode == 0, fromEnvironment.Stderr);

        // kubectl sends no token over plain http: the HTTPS test below drives it with one.
        var kubeconfig = await HostProcess.RunCliAsync(["kubeconfig", "--server", host.AdminUrl, "--token-file", file.Path]);
        Assert.Contains($"token: {Token}", kubeconfig.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_admin_API_serves_HTTPS_to_the_CLI_and_kubectl_with_the_certificate_authority()
    {
        using var tls = TestCertificate.Create();
        using var token = new TempFile(Token);
        await using var host = await HostProcess.StartAsync(["--admin-tls-cert", tls.CertificatePath, "--admin-tls-key", tls.KeyPath, "--admin-token-file", token.Path]);
        Assert.StartsWith("https://", host.AdminUrl, StringComparison.Ordinal);

        var trusted = await HostProcess.RunCliAsync(["get", "svc", "--server", host.AdminUrl, "--token-file", token.Path, "--certificate-authority", tls.CertificatePath]);
        Assert.True(trusted.ExitCode == 0, trusted.Stderr);

        var untrusted = await HostProcess.RunCliAsync(["get", "svc", "--server", host.AdminUrl, "--token-file", token.Path]);
        Assert.Equal(1, untrusted.ExitCode);
        Assert.Contains("Unable to connect to the server", untrusted.Stderr, StringComparison.Ordinal);

        var insecure = await HostProcess.RunCliAsync(["get", "svc", "--server", host.AdminUrl, "--token-file", token.Path, "--insecure-skip-tls-verify"]);
        Assert.True(insecure.ExitCode == 0, insecure.Stderr);

        var kubeconfig = await HostProcess.RunCliAsync(["kubeconfig", "--server", host.AdminUrl, "--token-file", token.Path, "--certificate-authority", tls.CertificatePath]);
        Assert.True(kubeconfig.ExitCode == 0, kubeconfig.Stderr);
        Assert.Contains("certificate-authority-data", kubeconfig.Stdout, StringComparison.Ordinal);
        using var config = new TempFile(kubeconfig.Stdout);
        using var kubectl = Kubectl.Kubectl.ForKubeconfig(config.Path);
        var get = await kubectl.RunAsync("get", "svc");
        Assert.True(get.ExitCode == 0, get.Stderr);

        // Plain HTTP to the TLS port gets nothing served.
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync(host.AdminUrl.Replace("https://", "http://", StringComparison.Ordinal) + "/api/v1/services"));
    }

    [Fact]
    public async Task A_non_loopback_admin_address_without_TLS_starts_with_a_warning()
    {
        using var token = new TempFile(Token);
        var port = Ports.FreeTcpPort(IPAddress.Any);
        await using var host = await HostProcess.StartAsync(["--admin", $"0.0.0.0:{port}", "--admin-token-file", token.Path], waitReady: false);

        var warning = await host.WaitForOutputAsync("without TLS", TimeSpan.FromSeconds(60));

        Assert.Contains("--admin-tls-cert", warning, StringComparison.Ordinal);
    }
}
