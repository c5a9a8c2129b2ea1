using System.Buffers;
using Usher.Core.Inference;
using Usher.Core.Tensors;

namespace Usher.Core.Scheduling;

/// <summary>
/// Stacks the requests of a micro-batch (a stream consumer's batch of messages) into one request per
/// version. While a stack is open (<see cref="Open"/>, on the caller's async flow) a version that
/// allows batching (<c>max_batch_size</c> &gt; 1) hands each request it has validated to the stack
/// instead of its batcher; closing the stack runs each version's requests as one request of their
/// rows through that version's batcher (queue, instance pool, backend, batch metrics) and splits the
/// outputs back (<see cref="BatchAssembler"/>, the batcher's own stacking). Everything before the
/// batcher happens per request: routing (so a canary or an A/B test splits the messages by weight),
/// faults, validation (a bad request fails alone), and after it the response, the metrics and the
/// observers. Requests stack only with requests of the same non-batch dims, outputs, priority and
/// timeout, up to the model's <c>max_batch_size</c> rows; a request that reaches its version after
/// the stack closed (it waited for a model to load) runs alone.
/// </summary>
/// <remarks>
/// Without it, a stream's batch of 64 messages on a model whose config has no <c>dynamic_batching</c>
/// ran as 64 backend calls, each paying the backend's per-call cost and its own trip through the queue.
/// </remarks>
internal sealed class RequestStack : IDisposable
{
    private static readonly AsyncLocal<RequestStack?> CurrentStack = new();
    private readonly RequestStack? _previous;
    private readonly CancellationToken _cancellationToken;
    // A request whose way to its version went asynchronous (a model loading, an injected delay) may
    // arrive on another thread while the consumer's loop adds the others, or as the stack closes.
    private readonly Lock _lock = new();
    private readonly List<(DynamicBatcher Batcher, int MaxRows, List<StackedRequest> Members)> _groups = [];
    private bool _closed;

    private RequestStack(RequestStack? previous, CancellationToken cancellationToken)
    {
        _previous = previous;
        _cancellationToken = cancellationToken;
    }

    /// <summary>The stack open on this async flow, or null.</summary>
    public static RequestStack? Current => CurrentStack.Value;

    /// <summary>
    /// Opens a stack for the requests started on this flow until it is disposed; disposing runs
    /// them (without waiting for them: each request's own task completes with its share).
    /// <paramref name="cancellationToken"/> cancels the stacked runs.
    /// </summary>
    public static RequestStack Open(CancellationToken cancellationToken)
    {
        var stack = new RequestStack(CurrentStack.Value, cancellationToken);
        CurrentStack.Value = stack;
        return stack;
    }

    /// <summary>
    /// Takes <paramref name="request"/> for the stack of <paramref name="batcher"/>'s version, whose
    /// model takes at most <paramref name="maxRows"/> rows a run; false when it must run alone (the
    /// stack is closed, or the model cannot stack requests).
    /// </summary>
    public bool TryAdd(DynamicBatcher batcher, int maxRows, ValidatedRequest request, int level, TimeSpan? timeout, out ValueTask<InferenceResult<BatchResult>> result)
    {
        result = default;
        if (maxRows < 2 || request.BatchSize == 0 || BatchAssembler.Rows(request) >= maxRows)
        {
            return false;
        }

        var member = new StackedRequest(request, level, timeout);
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            Group(batcher, maxRows).Add(member);
        }

        result = member.Completion;
        return true;
    }

    /// <summary>Closes the stack and runs what it holds.</summary>
    public void Dispose()
    {
        List<(DynamicBatcher Batcher, int MaxRows, List<StackedRequest> Members)> groups;
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            groups = [.. _groups];

            // Tasks started while the stack was open keep it in their context: it keeps no requests.
            _groups.Clear();
        }

        CurrentStack.Value = _previous;
        foreach (var (batcher, maxRows, members) in groups)
        {
            foreach (var run in Runs(members, maxRows))
            {
                _ = RunAsync(batcher, run, _cancellationToken);
            }
        }
    }

    private List<StackedRequest> Group(DynamicBatcher batcher, int maxRows)
    {
        foreach (var group in _groups)
        {
            if (ReferenceEquals(group.Batcher, batcher))
            {
                return group.Members;
            }
        }

        var members = new List<StackedRequest>();
        _groups.Add((batcher, maxRows, members));
        return members;
    }

    /// <summary>
    /// The members split into runs that may be stacked: compatible (<see cref="QueuedRequest.CanBatchTogether"/>,
    /// same priority and timeout), in order, at most <paramref name="maxRows"/> rows each.
    /// </summary>
    internal static List<List<StackedRequest>> Runs(List<StackedRequest> members, int maxRows)
    {
        // A stack holds a few kinds of request at most (a shadow's slice, one): a scan of the open
        // runs, with no key built per member.
        var open = new List<(List<StackedRequest> Run, int Rows)>();
        var done = new List<List<StackedRequest>>();
        foreach (var member in members)
        {
            var rows = BatchAssembler.Rows(member.Request);
            var index = -1;
            for (var i = 0; i < open.Count; i++)
            {
                var first = open[i].Run[0];
                if (first.Level == member.Level && first.Timeout == member.Timeout && QueuedRequest.CanBatchTogether(first.Request, member.Request))
                {
                    index = i;
                    break;
                }
            }

            if (index >= 0 && open[index].Rows + rows > maxRows)
            {
                done.Add(open[index].Run);
                open.RemoveAt(index);
                index = -1;
            }

            if (index < 0)
            {
                open.Add(([member], rows));
                continue;
            }

            var run = open[index];
            run.Run.Add(member);
            open[index] = (run.Run, run.Rows + rows);
        }

        foreach (var (run, _) in open)
        {
            done.Add(run);
        }

        return done;
    }

    private static async Task RunAsync(DynamicBatcher batcher, List<StackedRequest> run, CancellationToken cancellationToken)
    {
        var first = run[0];
        IReadOnlyList<Tensor>[] split;
        InferenceResult<BatchResult> ran;

        // The stacked inputs are rented, and given back once the run is done (except an array that a
        // backend's outputs still read): nothing else reads them after the backend ran. An exception
        // leaves them to the collector.
        try
        {
            var rows = 0;
            foreach (var member in run)
            {
                rows += BatchAssembler.Rows(member.Request);
            }

            byte[][]? rented = null;
            var stacked = run.Count == 1
                ? first.Request
                : new ValidatedRequest(first.Request.Request, BatchAssembler.Concatenate(run, static m => m.Request, ArrayPool<byte>.Shared, out rented), first.Request.OutputFileNames, first.Request.OutputClientNames, rows);
            ran = await batcher.EnqueueAsync(stacked, first.Level, first.Timeout, cancellationToken).ConfigureAwait(false);
            BatchAssembler.Return(ArrayPool<byte>.Shared, rented, ran.IsSuccess ? ran.Value.Outputs : null);
            split = ran.IsSuccess ? BatchAssembler.Split(run, static m => m.Request, ran.Value.Outputs, rows) : [];
        }
#pragma warning disable CA1031 // whatever failed, every member's task completes: its caller awaits it
        catch (Exception exception)
#pragma warning restore CA1031
        {
            ran = InferenceError.Internal($"a stack of {run.Count} requests failed: {exception.Message}");
            split = [];
        }

        for (var i = 0; i < run.Count; i++)
        {
            run[i].Finish(ran.IsSuccess
                ? InferenceResult<BatchResult>.Success(ran.Value with { Outputs = split[i] })
                : InferenceResult<BatchResult>.Failure(ran.Error));
        }
    }
}
