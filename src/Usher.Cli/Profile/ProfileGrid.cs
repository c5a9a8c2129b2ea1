using System.Globalization;

namespace Usher.Cli.Profile;

/// <summary>
/// The sweep: dynamic batch sizes x instances x intra-op threads, on <see cref="Cores"/> cores.
/// Pairs of instances and threads that need more cores than there are (instances x threads &gt;
/// cores) oversubscribe the machine and are left out.
/// </summary>
/// <param name="BatchSizes">Dynamic batcher sizes; 1 = dynamic batching off.</param>
/// <param name="Instances">Instance counts.</param>
/// <param name="Threads">Intra-op thread counts.</param>
/// <param name="Cores">The cores this process may run on.</param>
/// <param name="BatchSizesGiven">False for the default batch sizes, which are fitted to the model rather than refused.</param>
internal sealed record ProfileGrid(IReadOnlyList<int> BatchSizes, IReadOnlyList<int> Instances, IReadOnlyList<int> Threads, int Cores, bool BatchSizesGiven = true)
{
    /// <summary>
    /// The default grid on <paramref name="cores"/>: batch sizes 1, 8 and 64 (1 and 32 with
    /// <paramref name="quick"/>), instances 1 and one per core, threads 1 and all cores.
    /// </summary>
    public static ProfileGrid Default(int cores, bool quick)
        => new(quick ? [1, 32] : [1, 8, 64], Distinct(1, cores), Distinct(1, cores), cores, BatchSizesGiven: false);

    /// <summary>The (instances, threads) pairs that fit in the cores, instances first.</summary>
    public IReadOnlyList<(int Instances, int Threads)> Pairs
        => [.. Instances.SelectMany(i => Threads.Select(t => (i, t))).Where(p => p.i * p.t <= Cores)];

    /// <summary>
    /// Checks the grid: values positive, every instance count and thread count usable with some
    /// partner on the cores, batch sizes within the model's <c>max_batch_size</c> (0: not batched).
    /// </summary>
    public void Check(List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        Positive("--batch-sizes", BatchSizes, problems);
        Positive("--instances", Instances, problems);
        Positive("--threads", Threads, problems);
        if (problems.Count > 0)
        {
            return;
        }

        foreach (var i in Instances.Where(i => i * Threads.Min() > Cores))
        {
            problems.Add($"--instances {N(i)}: needs {N(i * Threads.Min())} cores with --threads {N(Threads.Min())}; this process may run on {N(Cores)} "
                + "(instances x intra-op threads must not exceed the cores: run on a machine with more cores, or ask for fewer instances)");
        }

        foreach (var t in Threads.Where(t => t * Instances.Min() > Cores))
        {
            problems.Add($"--threads {N(t)}: needs {N(t * Instances.Min())} cores with --instances {N(Instances.Min())}; this process may run on {N(Cores)} "
                + "(instances x intra-op threads must not exceed the cores)");
        }
    }

    /// <summary>
    /// The grid for a model whose <c>max_batch_size</c> is <paramref name="modelMaxBatchSize"/>
    /// (0: not batched). Given batch sizes above it are refused; default ones are fitted (sizes
    /// above it replaced by it; only 1 for a model that is not batched).
    /// </summary>
    public ProfileGrid? FitModel(int modelMaxBatchSize, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        if (!BatchSizesGiven)
        {
            int[] sizes = modelMaxBatchSize == 0 ? [1] : [.. BatchSizes.Select(b => Math.Min(b, modelMaxBatchSize)).Distinct()];
            return this with { BatchSizes = sizes };
        }

        if (modelMaxBatchSize == 0 && BatchSizes.Any(b => b > 1))
        {
            problems.Add($"--batch-sizes {string.Join(',', BatchSizes.Select(N))}: the model is not batched (max_batch_size 0), so only 1 (dynamic batching off) applies; pass --batch-sizes 1");
            return null;
        }

        if (BatchSizes.Where(b => modelMaxBatchSize > 0 && b > modelMaxBatchSize).ToList() is { Count: > 0 } over)
        {
            problems.Add($"--batch-sizes: {string.Join(", ", over.Select(N))} above the model's max_batch_size {N(modelMaxBatchSize)}; expected sizes from 1 to {N(modelMaxBatchSize)}");
            return null;
        }

        return this;
    }

    private static void Positive(string flag, IReadOnlyList<int> values, List<string> problems)
    {
        if (values.Count == 0 || values.Any(v => v < 1))
        {
            problems.Add($"{flag}: expected a list of integers >= 1 (such as 1,2), got {(values.Count == 0 ? "nothing" : string.Join(',', values.Select(N)))}");
        }
    }

    private static int[] Distinct(int a, int b) => a == b ? [a] : [a, b];

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
}
