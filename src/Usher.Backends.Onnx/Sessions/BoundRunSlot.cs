using Usher.Core.Tensors;

namespace Usher.Backends.Onnx.Sessions;

/// <summary>
/// The bound runs of one caller at a time (in the server, one instance of the model's scheduler):
/// the few signatures it saw last. A signature is bound the second time in a row that it misses,
/// so a shape seen once (the last, short batch of a file) costs no binding, while the shapes that
/// repeat (a lone request of one row, full batches) are served bound.
/// </summary>
internal sealed class BoundRunSlot : IDisposable
{
    /// <summary>How many signatures a slot keeps bound, the most recently used first.</summary>
    public const int Capacity = 2;

    private readonly BoundRun?[] _runs = new BoundRun?[Capacity];
    private int _lastMiss;
    private bool _missed;

    /// <summary>The bound run for this signature, or null; a hit moves to the front.</summary>
    public BoundRun? Find(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
    {
        for (var i = 0; i < _runs.Length; i++)
        {
            if (_runs[i] is { } run && run.Matches(inputs, outputNames))
            {
                for (var j = i; j > 0; j--)
                {
                    _runs[j] = _runs[j - 1];
                }

                _runs[0] = run;
                return run;
            }
        }

        return null;
    }

    /// <summary>
    /// Called on a miss: true when the previous miss had the same signature (compared by a hash: a
    /// collision binds a signature early, never wrongly, since <see cref="BoundRun.Matches"/> is exact).
    /// </summary>
    public bool ShouldBind(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
    {
        var hash = Hash(inputs, outputNames);
        if (_missed && hash == _lastMiss)
        {
            _missed = false;
            return true;
        }

        _lastMiss = hash;
        _missed = true;
        return false;
    }

    /// <summary>Keeps <paramref name="run"/> first, disposing the least recently used one when full.</summary>
    public void Add(BoundRun run)
    {
        _runs[^1]?.Dispose();
        for (var j = _runs.Length - 1; j > 0; j--)
        {
            _runs[j] = _runs[j - 1];
        }

        _runs[0] = run;
    }

    /// <summary>Disposes and forgets <paramref name="run"/> (after a failure).</summary>
    public void Remove(BoundRun run)
    {
        for (var i = 0; i < _runs.Length; i++)
        {
            if (ReferenceEquals(_runs[i], run))
            {
                _runs[i] = null;
                run.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        for (var i = 0; i < _runs.Length; i++)
        {
            _runs[i]?.Dispose();
            _runs[i] = null;
        }
    }

    private static int Hash(IReadOnlyList<Tensor> inputs, IReadOnlyList<string> outputNames)
    {
        var hash = default(HashCode);
        foreach (var input in inputs)
        {
            hash.Add(input.Name);
            hash.Add(input.DataType);
            foreach (var dim in input.Shape)
            {
                hash.Add(dim);
            }
        }

        foreach (var name in outputNames)
        {
            hash.Add(name);
        }

        return hash.ToHashCode();
    }
}
