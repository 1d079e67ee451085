using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>
/// A network namespace of the test's own (<c>ip netns add</c>), with loopback up, removed on
/// dispose (also when the test fails), together with every process still in it. Sockets are put in
/// it by creating them on a thread that joined it (<see cref="Run{T}"/>); a socket stays in the
/// namespace it was created in, whichever thread uses it later. Needs root, as CI has.
/// </summary>
internal sealed class NetNamespace : IDisposable
{
    private const int CloneNewNet = 0x40000000;

    private NetNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates the namespace; fails the test with a clear message without root.</summary>
    public static NetNamespace Create(string prefix)
    {
        if (GetEuid() != 0)
        {
            Assert.Fail("this test creates a network namespace (ip netns add) and needs root; run the tests as root, as CI does");
        }

        var ns = new NetNamespace($"{prefix}-{Environment.ProcessId}-{Random.Shared.Next(100_000)}");
        Ip("netns", "add", ns.Name);
        try
        {
            ns.Exec("ip", "link", "set", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>Runs <c>ip ARGS</c> in the test's namespace; throws with its output when it fails.</summary>
    public static string Ip(params string[] args) => Run("ip", args);

    /// <summary>Runs a command inside the namespace (<c>ip netns exec</c>) to its end.</summary>
    public string Exec(string command, params string[] args) => Run("ip", ["netns", "exec", Name, command, .. args]);

    /// <summary>Starts a long-running command inside the namespace; its pid is the command's own (ip execs it).</summary>
    public Process Start(string command, IEnumerable<string> args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["netns", "exec", Name, command, .. args])
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var key in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("SVCPROXY_", StringComparison.Ordinal)))
        {
            info.Environment.Remove(key);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"could not start {command}");
    }

    /// <summary>Runs <paramref name="action"/> on a thread that joined the namespace, so the sockets it creates live there.</summary>
    public T Run<T>(Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/run/netns/{Name}");
                if (SetNs((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new Win32Exception(Marshal.GetLastPInvokeError(), $"setns {Name}");
                }

                result = action();
            }
            catch (Exception e)
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        });
        thread.Start();
        thread.Join();
        error?.Throw();
        return result;
    }

    public void Dispose()
    {
        try
        {
            foreach (var pid in Run("ip", "netns", "pids", Name).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                try
                {
                    using var process = Process.GetProcessById(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture));
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(10_000);
                }
                catch (ArgumentException)
                {
                    // Gone already.
                }
            }
        }
        finally
        {
            Run("ip", "netns", "del", Name);
        }
    }

    private static string Run(string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {command}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        if (!process.WaitForExit(30_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} {string.Join(' ', args)} did not finish within 30 s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} exited with {process.ExitCode}: {stderr}");
        }

        return stdout.GetAwaiter().GetResult();
    }

    // DllImport rather than LibraryImport: the latter needs unsafe code in the test project.
    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
