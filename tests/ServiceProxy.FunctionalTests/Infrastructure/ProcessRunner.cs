using System.Diagnostics;
using ServiceProxy.FunctionalTests.Host;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>Runs a started command-line process to its end within a deadline, collecting its output.</summary>
internal static class ProcessRunner
{
    public static async Task<CliResult> RunToExitAsync(Process process, string? stdin, TimeSpan timeout, string description)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{description} did not exit within {timeout}");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}
