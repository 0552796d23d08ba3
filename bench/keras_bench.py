"""The Keras/TensorFlow side of `distill bench`: the study's own stack training the identical
teacher CNN and student MLP on the CPU, timed the same way (warm-up steps, then N steps, then a
sync). Prints one JSON line. Run by `distill bench` from the venv `cargo xtask bench` makes."""
import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402
from tensorflow.keras import layers  # noqa: E402


def teacher(classes):
    # The study's CNN: 3,378,970 parameters for 26 classes.
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2), layers.Dropout(0.25),
        layers.Conv2D(128, 3, activation="relu"), layers.MaxPooling2D(2), layers.Dropout(0.25),
        layers.Flatten(), layers.Dense(1024, activation="relu"), layers.Dropout(0.5), layers.Dense(classes),
    ])


def student(classes):
    # The study's MLP: 415,258 parameters for 26 classes.
    return keras.Sequential([
        keras.Input((28, 28, 1)), layers.Flatten(),
        layers.Dense(512, activation="relu"), layers.Dropout(0.2), layers.Dense(classes),
    ])


def timed(step, warmup, steps, batch):
    for _ in range(warmup):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        out = step()
    float(out)  # sync
    dt = time.perf_counter() - t0
    return batch * steps / dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--classes", type=int, default=26)
    ap.add_argument("--temperature", type=float, default=10.0)
    ap.add_argument("--lam", type=float, default=0.5)
    a = ap.parse_args()
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((a.batch, 28, 28, 1), dtype=np.float32))
    y = tf.constant(rng.integers(0, a.classes, a.batch))
    t_logits = tf.constant(rng.normal(size=(a.batch, a.classes)).astype(np.float32))
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    t = teacher(a.classes)
    t_opt = keras.optimizers.Adadelta(learning_rate=1.0)

    @tf.function
    def teacher_step():
        with tf.GradientTape() as tape:
            loss = ce(y, t(x, training=True))
        t_opt.apply_gradients(zip(tape.gradient(loss, t.trainable_variables), t.trainable_variables))
        return loss

    s = student(a.classes)
    s_opt = keras.optimizers.Adadelta(learning_rate=1.0)
    T = a.temperature

    @tf.function
    def kd_step():
        # The study's loss: λ·CE(y, softmax(s)) + CE(softmax(t/T), softmax(s/T)), no T².
        with tf.GradientTape() as tape:
            z = s(x, training=True)
            soft = -tf.reduce_mean(tf.reduce_sum(tf.nn.softmax(t_logits / T) * tf.nn.log_softmax(z / T), axis=1))
            loss = a.lam * ce(y, z) + soft
        s_opt.apply_gradients(zip(tape.gradient(loss, s.trainable_variables), s.trainable_variables))
        return loss

    @tf.function
    def infer():
        return tf.reduce_sum(t(x, training=False))

    t0 = time.perf_counter()
    teacher_step()
    first = time.perf_counter() - t0
    print(json.dumps({
        "stack": f"Keras {keras.__version__} / TensorFlow {tf.__version__} (CPU)",
        "params_teacher": int(t.count_params()),
        "params_student": int(s.count_params()),
        "teacher_train": timed(teacher_step, a.warmup, a.steps, a.batch),
        "student_kd": timed(kd_step, a.warmup, a.steps * 4, a.batch),
        "teacher_infer": timed(infer, a.warmup, a.steps, a.batch),
        "first_step_s": first,
        "threads": tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count(),
    }))


if __name__ == "__main__":
    main()
