namespace ServiceProxy.Kubernetes.Allocation;

/// <summary>
/// What one write allocated and what it will free. <see cref="Rollback"/> returns the new
/// allocations (failed or dry-run write); <see cref="Commit"/> frees the ones the old object no
/// longer uses. Exactly one of them must be called.
/// </summary>
internal sealed class AllocationTransaction
{
    private readonly List<Action> _undo = [];
    private readonly List<Action> _releaseOnCommit = [];
    private bool _done;

    public static AllocationTransaction Empty => new();

    public void Allocated(Action undo) => _undo.Add(undo);

    public void ReleaseOnCommit(Action release) => _releaseOnCommit.Add(release);

    public void Commit()
    {
        if (!_done)
        {
            _done = true;
            _releaseOnCommit.ForEach(release => release());
        }
    }

    public void Rollback()
    {
        if (!_done)
        {
            _done = true;
            for (var i = _undo.Count - 1; i >= 0; i--)
            {
                _undo[i]();
            }
        }
    }
}
