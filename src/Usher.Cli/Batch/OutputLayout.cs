using System.Globalization;

namespace Usher.Cli.Batch;

/// <summary>
/// The columns of the output: the kept input columns (in <c>--keep</c> order), then the model's
/// outputs in the model's order: a scalar-per-row output is one column; an output of width K is
/// <c>name_0</c> ... <c>name_{K-1}</c> in CSV, one list column in Parquet and JSONL.
/// </summary>
/// <param name="Kept">The kept input columns.</param>
/// <param name="Outputs">The model's outputs.</param>
internal sealed record OutputLayout(IReadOnlyList<SourceColumn> Kept, IReadOnlyList<BatchTensor> Outputs)
{
    /// <summary>The CSV header's column names.</summary>
    public IEnumerable<string> CsvColumns()
    {
        foreach (var kept in Kept)
        {
            yield return kept.Name;
        }

        foreach (var output in Outputs)
        {
            if (output.IsScalar)
            {
                yield return output.Name;
                continue;
            }

            for (var i = 0; i < output.Width; i++)
            {
                yield return output.Name + "_" + i.ToString(CultureInfo.InvariantCulture);
            }
        }
    }
}
