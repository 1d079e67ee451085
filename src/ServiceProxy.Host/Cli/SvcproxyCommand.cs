using System.CommandLine;

namespace ServiceProxy.Host.Cli;

/// <summary>The <c>svcproxy</c> root command: the host (<c>run</c>, <c>quickstart</c>) and the kubectl-style client.</summary>
internal static class SvcproxyCommand
{
    public static RootCommand Create()
    {
        var global = new GlobalOptions();
        var root = new RootCommand("svcproxy: Kubernetes Services as a userspace layer-4 load balancer, with a Kubernetes-shaped admin API.");
        global.AddTo(root);
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(QuickstartCommand.Create());
        root.Subcommands.Add(GetCommand.Create(global));
        root.Subcommands.Add(DescribeCommand.Create(global));
        root.Subcommands.Add(ApplyCommand.CreateApply(global));
        root.Subcommands.Add(ApplyCommand.CreateCreate(global));
        root.Subcommands.Add(PatchCommand.Create(global));
        root.Subcommands.Add(DeleteCommand.Create(global));
        root.Subcommands.Add(KubeconfigCommand.Create(global));
        root.Subcommands.Add(VersionCommand.Create());
        return root;
    }
}
