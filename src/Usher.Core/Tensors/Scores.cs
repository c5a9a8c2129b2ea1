namespace Usher.Core.Tensors;

/// <summary>Reading one row of class scores (probabilities or logits).</summary>
internal static class Scores
{
    /// <summary>
    /// The predicted class: the index of the largest score, the lowest index on a tie; NaN is never
    /// larger than anything, so a row of NaN predicts class 0.
    /// </summary>
    public static int ArgMax(ReadOnlySpan<double> row)
    {
        var best = 0;
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] > row[best] || (double.IsNaN(row[best]) && !double.IsNaN(row[i])))
            {
                best = i;
            }
        }

        return best;
    }
}
