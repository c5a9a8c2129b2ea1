using System.Numerics.Tensors;

namespace Usher.Backends.Onnx.Distillation;

/// <summary>
/// Adam (Kingma and Ba, arXiv:1412.6980) with bias correction, over one flat parameter array:
/// <c>m = β1·m + (1−β1)·g; v = β2·v + (1−β2)·g²; θ −= lr · m̂ / (√v̂ + ε)</c>.
/// </summary>
internal sealed class AdamOptimizer(int parameters, float learningRate, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
{
    private readonly float[] _m = new float[parameters];
    private readonly float[] _v = new float[parameters];
    private readonly float[] _scratch = new float[parameters];
    private readonly float[] _step = new float[parameters];
    private int _t;

    /// <summary>One update of <paramref name="parameters"/> along <paramref name="gradient"/>.</summary>
    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
    {
        _t++;
        TensorPrimitives.Multiply(_m, beta1, _m);
        TensorPrimitives.MultiplyAdd(gradient, 1 - beta1, _m, _m);
        TensorPrimitives.Multiply(gradient, gradient, _scratch);
        TensorPrimitives.Multiply(_v, beta2, _v);
        TensorPrimitives.MultiplyAdd(_scratch, 1 - beta2, _v, _v);

        var correction1 = 1 - Math.Pow(beta1, _t);
        var correction2 = 1 - Math.Pow(beta2, _t);
        TensorPrimitives.Multiply(_v, (float)(1 / correction2), _scratch);
        TensorPrimitives.Sqrt(_scratch, _scratch);
        TensorPrimitives.Add(_scratch, epsilon, _scratch);
        TensorPrimitives.Divide(_m, _scratch, _step);
        TensorPrimitives.MultiplyAdd(_step, (float)(-learningRate / correction1), parameters, parameters);
    }
}
