namespace Usher.Cli.Batch;

/// <summary>Where one model input's values come from in each row.</summary>
/// <param name="Tensor">The model input.</param>
/// <param name="ListColumn">The list column that holds all <see cref="BatchTensor.Width"/> values, or -1.</param>
/// <param name="Columns">Otherwise the columns, one per value, in order.</param>
internal sealed record InputBinding(BatchTensor Tensor, int ListColumn, IReadOnlyList<int> Columns)
{
    /// <summary>How the mapping reads in messages.</summary>
    public string Describe(IReadOnlyList<SourceColumn> columns) => ListColumn >= 0
        ? $"list column '{columns[ListColumn].Name}'"
        : Columns.Count == 1 ? $"column '{columns[Columns[0]].Name}'" : $"columns '{columns[Columns[0]].Name}' ... '{columns[Columns[^1]].Name}'";
}
