using System.Numerics.Tensors;

namespace Usher.Backends.Onnx.Distillation;

/// <summary>
/// Hinton et al.'s distillation loss on soft targets: with the student's temperature-softened
/// probabilities <c>q = softmax(z / T)</c> and targets <c>p</c> (the teacher's probabilities softened
/// at the same T), the loss of a row is <c>T² · KL(p ‖ q)</c>, averaged over the rows. The T² keeps the
/// gradients' size independent of T; at T = 1 with one-hot targets it is the usual cross-entropy.
/// </summary>
internal static class DistillationLoss
{
    // log(0) guard for targets: a probability of 0 contributes 0 to KL.
    private const float Epsilon = 1e-7f;

    /// <summary>
    /// The mean loss of <paramref name="rows"/> rows of logits (<c>rows × classes</c>); when
    /// <paramref name="gradient"/> is not empty, also its gradient with respect to the logits,
    /// <c>T · (q − p) / rows</c>.
    /// </summary>
    public static double Compute(ReadOnlySpan<float> logits, ReadOnlySpan<float> targets, int rows, int classes, float temperature, Span<float> gradient)
    {
        Span<float> q = classes <= 64 ? stackalloc float[classes] : new float[classes];
        double total = 0;
        var scale = temperature / rows;
        for (var r = 0; r < rows; r++)
        {
            var z = logits.Slice(r * classes, classes);
            var p = targets.Slice(r * classes, classes);
            Softmax(z, temperature, q);
            for (var i = 0; i < classes; i++)
            {
                if (p[i] > 0)
                {
                    total += p[i] * (Math.Log(Math.Max(p[i], Epsilon)) - Math.Log(Math.Max(q[i], 1e-30f)));
                }
            }

            if (!gradient.IsEmpty)
            {
                var g = gradient.Slice(r * classes, classes);
                TensorPrimitives.Subtract(q, p, g);
                TensorPrimitives.Multiply(g, scale, g);
            }
        }

        return total * temperature * temperature / rows;
    }

    /// <summary><c>softmax(z / T)</c>, the maximum subtracted first (TensorPrimitives.SoftMax does not).</summary>
    public static void Softmax(ReadOnlySpan<float> z, float temperature, Span<float> q)
    {
        var max = TensorPrimitives.Max(z);
        TensorPrimitives.Subtract(z, max, q);
        TensorPrimitives.Multiply(q, 1f / temperature, q);
        TensorPrimitives.Exp(q, q);
        TensorPrimitives.Multiply(q, 1f / TensorPrimitives.Sum(q), q);
    }

    /// <summary>
    /// The teacher's probabilities softened at <paramref name="temperature"/>: <c>p^(1/T)</c> per row,
    /// renormalized (the softmax of the teacher's logits, recovered as <c>log p</c> up to a constant, at T).
    /// </summary>
    public static void Soften(ReadOnlySpan<float> probabilities, int classes, float temperature, Span<float> targets)
    {
        for (var r = 0; r < probabilities.Length / classes; r++)
        {
            var p = probabilities.Slice(r * classes, classes);
            var t = targets.Slice(r * classes, classes);
            for (var i = 0; i < classes; i++)
            {
                t[i] = MathF.Log(MathF.Max(p[i], Epsilon)) / temperature;
            }

            var max = TensorPrimitives.Max(t);
            TensorPrimitives.Subtract(t, max, t);
            TensorPrimitives.Exp(t, t);
            TensorPrimitives.Multiply(t, 1f / TensorPrimitives.Sum(t), t);
        }
    }
}
