using System.Globalization;
using System.Numerics;
using System.Text;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Analysis;

/// <summary>
/// Reads per-row predictions out of a response's output tensors, for the drift check of
/// <see cref="CanaryAnalysis"/>. Rows are the first dimension; outputs of rank 0 or above 2 are ignored.
/// <list type="number">
/// <item><b>Labels:</b> the first output of an integer datatype (UINT8 … INT64) or BYTES with one value
/// per row, shape [n] or [n,1]. Integers are formatted in the invariant culture, BYTES decoded as UTF-8.</item>
/// <item><b>Score output:</b> the first FP32, FP64 or FP16 output of shape [n] or [n,k] (with the same n as
/// the label output, when there is one). BF16 is not read.
///   <list type="bullet">
///   <item>one value per row ([n] or [n,1]): that value is the score;</item>
///   <item>two columns: the score is column 1 (the positive-class probability), and when there is no
///   label output the label is the argmax column index ("0" or "1");</item>
///   <item>more columns: when there is no label output the label is the argmax column index; no score.</item>
///   </list></item>
/// </list>
/// Argmax takes the first of equal maxima. An argmax label is the column index as an invariant integer,
/// so that it compares equal to the integer label a classifier would emit for that class.
/// </summary>
internal static class PredictionExtractor
{
    /// <summary>Extracts the labels and scores of every row of one response.</summary>
    public static ExtractedPredictions Extract(IReadOnlyList<Tensor> outputs)
    {
        ArgumentNullException.ThrowIfNull(outputs);

        // Plain loops, no LINQ: this runs for every request a canary records and every shadow pair.
        Tensor? labelOutput = null;
        for (var i = 0; i < outputs.Count && labelOutput is null; i++)
        {
            if (IsLabelType(outputs[i].DataType) && Columns(outputs[i]) == 1)
            {
                labelOutput = outputs[i];
            }
        }

        Tensor? scoreOutput = null;
        for (var i = 0; i < outputs.Count && scoreOutput is null; i++)
        {
            var t = outputs[i];
            if (IsFloat(t.DataType) && Columns(t) >= 1 && (labelOutput is null || t.Shape[0] == labelOutput.Shape[0]))
            {
                scoreOutput = t;
            }
        }

        IReadOnlyList<string> labels = labelOutput is null ? [] : ReadLabels(labelOutput);
        IReadOnlyList<double> scores = [];
        if (scoreOutput is not null)
        {
            var values = ReadFloats(scoreOutput);
            var rows = (int)scoreOutput.Shape[0];
            var columns = Columns(scoreOutput);
            if (columns == 1)
            {
                scores = values;
            }
            else
            {
                if (columns == 2)
                {
                    var positive = new double[rows];
                    for (var r = 0; r < rows; r++)
                    {
                        positive[r] = values[(r * 2) + 1];
                    }

                    scores = positive;
                }

                if (labelOutput is null)
                {
                    var argMax = new string[rows];
                    for (var r = 0; r < rows; r++)
                    {
                        var column = Scores.ArgMax(values.AsSpan(r * columns, columns));
                        argMax[r] = column < SmallLabels.Length ? SmallLabels[column] : column.ToString(CultureInfo.InvariantCulture);
                    }

                    labels = argMax;
                }
            }
        }

        return labels.Count == 0 && scores.Count == 0 ? ExtractedPredictions.None : new ExtractedPredictions(labels, scores);
    }

    // Values per row for a rank-1 or rank-2 tensor; 0 for any other rank (not a per-row output).
    private static int Columns(Tensor tensor) => tensor.Shape.Length switch
    {
        1 => 1,
        2 => (int)tensor.Shape[1],
        _ => 0,
    };

    private static bool IsLabelType(DataType type) => type is DataType.UInt8 or DataType.UInt16 or DataType.UInt32
        or DataType.UInt64 or DataType.Int8 or DataType.Int16 or DataType.Int32 or DataType.Int64 or DataType.Bytes;

    private static bool IsFloat(DataType type) => type is DataType.Fp16 or DataType.Fp32 or DataType.Fp64;

    private static string[] ReadLabels(Tensor tensor)
    {
        var c = CultureInfo.InvariantCulture;
        return tensor.DataType switch
        {
            DataType.Bytes => tensor.Strings!.Select(s => Encoding.UTF8.GetString(s)).ToArray(),
            DataType.UInt8 => Format(tensor.AsSpan<byte>(), c),
            DataType.Int8 => Format(tensor.AsSpan<sbyte>(), c),
            DataType.UInt16 => Format(tensor.AsSpan<ushort>(), c),
            DataType.Int16 => Format(tensor.AsSpan<short>(), c),
            DataType.UInt32 => Format(tensor.AsSpan<uint>(), c),
            DataType.Int32 => Format(tensor.AsSpan<int>(), c),
            DataType.UInt64 => Format(tensor.AsSpan<ulong>(), c),
            DataType.Int64 => Format(tensor.AsSpan<long>(), c),
            _ => throw new ArgumentException($"output '{tensor.Name}': {tensor.DataType.ToProtocolName()} is not a label type"),
        };
    }

    // Class labels are small integers: their strings are made once, so that recording a window of
    // predictions neither allocates a string per row nor keeps thousands of copies of "0" and "1".
    private static readonly string[] SmallLabels = [.. Enumerable.Range(0, 1024).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    private static string[] Format<T>(ReadOnlySpan<T> values, CultureInfo culture)
        where T : unmanaged, IBinaryInteger<T>
    {
        var labels = new string[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var small = long.CreateSaturating(values[i]);
            labels[i] = (ulong)small < (ulong)SmallLabels.Length ? SmallLabels[small] : values[i].ToString(null, culture);
        }

        return labels;
    }

    private static double[] ReadFloats(Tensor tensor)
    {
        switch (tensor.DataType)
        {
            case DataType.Fp64:
                return tensor.AsSpan<double>().ToArray();
            case DataType.Fp32:
                {
                    var span = tensor.AsSpan<float>();
                    var values = new double[span.Length];
                    for (var i = 0; i < span.Length; i++)
                    {
                        values[i] = span[i];
                    }

                    return values;
                }

            case DataType.Fp16:
                {
                    var span = tensor.AsSpan<Half>();
                    var values = new double[span.Length];
                    for (var i = 0; i < span.Length; i++)
                    {
                        values[i] = (double)span[i];
                    }

                    return values;
                }

            default:
                throw new ArgumentException($"output '{tensor.Name}': {tensor.DataType.ToProtocolName()} is not a floating-point type");
        }
    }
}
