using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using ServiceProxy.FunctionalTests.Host;
using static ServiceProxy.FunctionalTests.Kubectl.KubectlTables;

namespace ServiceProxy.FunctionalTests.Kubectl;

/// <summary>
/// Events through the real host and the real kubectl: a port that cannot be bound, a load-balancer
/// address given, and a failing readiness probe show in <c>kubectl get events</c> (kube-apiserver's
/// columns, wide ones too), in <c>kubectl events</c>, and in the <c>Events:</c> section of
/// <c>kubectl describe</c>, which asks for them with a field selector on the object.
/// </summary>
public sealed class KubectlEventsTests : IAsyncLifetime
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(20);

    private HostProcess _host = null!;
    private Kubectl _kubectl = null!;

    public async Task InitializeAsync()
    {
        var nodePort = Ports.FreeTcpPort();
        _host = await HostProcess.StartAsync(["--node-port-range", $"{nodePort}-{nodePort}"]);
        _kubectl = Kubectl.ForServer(_host.AdminUrl);
    }

    public async Task DisposeAsync()
    {
        _kubectl.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task A_port_that_cannot_be_bound_is_a_warning_in_get_events_and_in_describe()
    {
        using var occupant = new TcpListener(IPAddress.Loopback, 0);
        occupant.Start();
        var port = ((IPEndPoint)occupant.LocalEndpoint).Port;
        await Ok(["apply", "-f", "-"], $"""
            apiVersion: v1
            kind: Service
            metadata:
              name: busy
            spec:
              externalIPs: [127.0.0.1]
              ports:
              - name: http
                port: {port}

            """);

        var describe = await EventuallyAsync(["describe", "svc", "busy"], s => s.Contains("FailedListen", StringComparison.Ordinal));
        Assert.Matches(@"\nEvents:\n +Type +Reason +Age +From +Message\n", describe);
        Assert.Matches($@"\n +Warning +FailedListen +\S+ +svcproxy-proxy +port http/TCP: cannot listen on 127\.0\.0\.1:{port}: AddressAlreadyInUse", describe);

        var events = await Ok(["get", "events"]);
        Assert.Equal(["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], Header(events.Stdout));
        var row = Row(events.Stdout, "FailedListen", column: 2);
        Assert.Equal(["Warning", "FailedListen", "service/busy", "port"], row[1..5]);

        var wide = await Ok(["get", "events", "-o", "wide", "--field-selector", "involvedObject.name=busy,reason=FailedListen"]);
        Assert.Equal(["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE", "FIRST", "SEEN", "COUNT", "NAME"], Header(wide.Stdout));
        var line = Assert.Single(Lines(wide.Stdout).Skip(1));
        Assert.Matches(@"\s1\s+busy\.[0-9a-f]+$", line);

        Assert.Empty(Lines((await Ok(["get", "events", "--field-selector", "involvedObject.name=nothing"])).Stdout).Where(l => l.Length > 0).Skip(1));
        Assert.Contains("FailedListen", (await Ok(["events", "--for", "service/busy"])).Stdout, StringComparison.Ordinal);
        var eventsGroup = await Ok(["get", "events.v1.events.k8s.io", "-o", "jsonpath={.items[?(@.reason==\"FailedListen\")].regarding.name}"]);
        Assert.Equal("busy", eventsGroup.Stdout);
    }

    [Fact]
    public async Task A_load_balancer_address_given_is_a_normal_event_on_the_service()
    {
        await Ok(["apply", "-f", "-"], $"""
            apiVersion: v1
            kind: Service
            metadata:
              name: lb
            spec:
              type: LoadBalancer
              ports:
              - port: {Ports.FreeTcpPort()}

            """);
        var address = (await Ok(["get", "svc", "lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).Stdout;
        Assert.True(IPAddress.TryParse(address, out _), address);

        var describe = await EventuallyAsync(["describe", "svc", "lb"], s => s.Contains("IPAllocated", StringComparison.Ordinal));
        Assert.Matches($@"\n +Normal +IPAllocated +\S+ +svcproxy-allocator +Assigned IP \[""{Regex.Escape(address)}""\]", describe);
        Assert.Matches(@"\n +Normal +ClusterIPAllocated +", describe);

        await Ok(["delete", "svc", "lb"]);
        var released = await EventuallyAsync(["get", "events", "--field-selector", "reason=IPReleased"], s => s.Contains("service/lb", StringComparison.Ordinal));
        Assert.Contains($"Released IP [\"{address}\"]", released, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_readiness_probe_is_an_unhealthy_warning_whose_count_grows()
    {
        var closed = Ports.FreeTcpPort();
        await Ok(["apply", "-f", "-"], $"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: sick
            spec:
              containers:
              - name: app
                readinessProbe:
                  tcpSocket:
                    port: {closed}
                  periodSeconds: 1
                  failureThreshold: 1
            status:
              phase: Running
              podIP: 127.0.0.1

            """);

        var first = Count(await EventuallyAsync(["describe", "pod", "sick"], s => Count(s) >= 2));
        var describe = await EventuallyAsync(["describe", "pod", "sick"], s => Count(s) > first);
        Assert.Matches($@"\n +Warning +Unhealthy +\S+ \(x\d+ over \S+\) +svcproxy-prober +Readiness probe failed: dial tcp 127\.0\.0\.1:{closed}: ", describe);

        var count = await Ok(["get", "events", "--field-selector", "involvedObject.kind=Pod,involvedObject.name=sick,reason=Unhealthy", "-o", "jsonpath={.items[0].count} {.items[0].involvedObject.fieldPath}"]);
        Assert.Matches(@"^\d+ spec\.containers\{app\}$", count.Stdout);
        Assert.True(int.Parse(count.Stdout.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) > first);
    }

    /// <summary>The N of describe's <c>(xN over …)</c> for the Unhealthy event, 1 for a single one, 0 for none.</summary>
    private static int Count(string describe)
    {
        var match = Regex.Match(describe, @"Unhealthy +\S+(?: \(x(\d+) over \S+\))?");
        return !match.Success ? 0 : match.Groups[1].Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 1;
    }

    /// <summary>Runs kubectl until its output satisfies <paramref name="condition"/> (bounded by <see cref="EventTimeout"/>).</summary>
    private async Task<string> EventuallyAsync(string[] args, Func<string, bool> condition)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var stdout = (await Ok(args)).Stdout;
            if (condition(stdout))
            {
                return stdout;
            }

            Assert.True(watch.Elapsed < EventTimeout, $"kubectl {string.Join(' ', args)} never showed what was expected:\n{stdout}");
            await Task.Delay(250);
        }
    }

    private async Task<CliResult> Ok(string[] args, string? stdin = null)
    {
        var result = await _kubectl.RunAsync(args, stdin);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {result.Stderr}");
        return result;
    }
}
