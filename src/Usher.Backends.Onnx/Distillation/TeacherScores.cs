using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Usher.Backends.Onnx.Distillation;

/// <summary>Runs a teacher through ONNX Runtime on training rows and checks that its scores are probabilities.</summary>
internal static class TeacherScores
{
    private const int RowsPerRun = 512;

    // Float rounding in a softmax: a row of FP32 probabilities sums to 1 within a few ulps per class.
    private const float SumTolerance = 1e-3f;
    private const float RangeTolerance = 1e-5f;

    /// <summary>
    /// The teacher's probabilities of <paramref name="rows"/> rows (<c>rows × classes</c>); null with the
    /// first value that is not a probability, or the run that failed.
    /// </summary>
    public static float[]? Score(InferenceSession session, TeacherSignature signature, float[] inputs, int rows, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(inputs);
        problem = null;
        var classes = signature.Classes;
        var scores = new float[(long)rows * classes];
        for (var start = 0; start < rows; start += RowsPerRun)
        {
            var n = Math.Min(RowsPerRun, rows - start);
            var tensor = new DenseTensor<float>(inputs.AsMemory(start * signature.Features, n * signature.Features), [n, signature.Features]);
            try
            {
                using var results = session.Run([NamedOnnxValue.CreateFromTensor(signature.Input, tensor)], [signature.Probabilities]);
                var output = results[0].AsTensor<float>();
                if (output.Length != (long)n * classes)
                {
                    problem = $"output '{signature.Probabilities}': expected {n}x{classes} values for {n} rows, got {output.Length}";
                    return null;
                }

                var i = start * classes;
                foreach (var value in output)
                {
                    scores[i++] = value;
                }
            }
            catch (OnnxRuntimeException ex)
            {
                problem = $"the teacher failed on rows {start}-{start + n - 1}: {ex.Message}";
                return null;
            }
        }

        problem = CheckProbabilities(scores, rows, classes, signature.Probabilities);
        return problem is null ? scores : null;
    }

    /// <summary>Null when every row is probabilities (each in [0, 1], summing to 1); otherwise the first row that is not.</summary>
    public static string? CheckProbabilities(ReadOnlySpan<float> scores, int rows, int classes, string output)
    {
        const string Expected = "expected probabilities (each in [0, 1], each row summing to 1: a softmax output), which distillation trains on";
        for (var r = 0; r < rows; r++)
        {
            var row = scores.Slice(r * classes, classes);
            double sum = 0;
            foreach (var p in row)
            {
                if (!(p >= -RangeTolerance && p <= 1 + RangeTolerance))
                {
                    return $"teacher output '{output}': {Expected}; row {r} holds {F(p)} ({Row(row)})";
                }

                sum += p;
            }

            if (Math.Abs(sum - 1) > SumTolerance)
            {
                return $"teacher output '{output}': {Expected}; row {r} sums to {F(sum)} ({Row(row)})";
            }
        }

        return null;
    }

    private static string Row(ReadOnlySpan<float> row)
    {
        var shown = new List<string>();
        foreach (var v in row[..Math.Min(row.Length, 6)])
        {
            shown.Add(F(v));
        }

        return "[" + string.Join(", ", shown) + (row.Length > 6 ? ", ..." : string.Empty) + "]";
    }

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
