using System.Diagnostics;
using ServiceProxy.FunctionalTests.Infrastructure;

namespace ServiceProxy.FunctionalTests.Dns;

/// <summary>The real <c>dig</c> (Debian dnsutils): the status line and the answer and authority records it prints.</summary>
internal static class Dig
{
    public static async Task<DigResult> RunAsync(int port, params string[] args)
    {
        var start = new ProcessStartInfo("dig") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var arg in (string[])["@127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "+time=2", "+tries=1", "+noall", "+comments", "+answer", "+authority", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var result = await ProcessRunner.RunToExitAsync(process, null, TimeSpan.FromSeconds(20), "dig " + string.Join(' ', args));
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var status = lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"status: (\w+)")).FirstOrDefault(m => m.Success)?.Groups[1].Value;
        var flags = lines.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"flags: ([\w ]+);")).FirstOrDefault(m => m.Success)?.Groups[1].Value ?? string.Empty;
        var records = lines.Where(l => !l.StartsWith(';')).Select(l => string.Join(' ', l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))).ToList();
        return new DigResult(status, flags.Split(' '), records, result.Stdout);
    }
}

/// <param name="Status">NOERROR, NXDOMAIN, …; null when no answer came.</param>
/// <param name="Flags">Header flags (qr, aa, rd, ra, tc).</param>
/// <param name="Records">Answer and authority records, whitespace collapsed: <c>name. 5 IN A 10.0.0.1</c>.</param>
/// <param name="Output">Everything dig printed.</param>
internal sealed record DigResult(string? Status, string[] Flags, List<string> Records, string Output);
