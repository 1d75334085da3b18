"""The smooth background a warm thing stands out from, the sensor noise, and frames reduced to fit: shared by both detectors."""

from __future__ import annotations

import math

import cv2
import numpy as np

CELL = 8  # background cell, pixels of the working copy (16 full-resolution pixels when halved)
BG_KERNEL = 7  # opening size in cells: warm things up to ~7 cells are not background
_BG_KERNEL = cv2.getStructuringElement(cv2.MORPH_RECT, (BG_KERNEL, BG_KERNEL))


def reduced(frame: np.ndarray, k: int) -> np.ndarray:
    """The frame k times smaller each way, pixels averaged (a coarser core sees the same scene); itself at k = 1."""
    if k == 1:
        return frame
    h, w = frame.shape[:2]
    return np.asarray(cv2.resize(frame, (w // k, h // k), interpolation=cv2.INTER_AREA))


def background(frame_c: np.ndarray) -> np.ndarray:
    """Smooth background temperature at full resolution."""
    h, w = frame_c.shape
    sw, sh = max(2, w // CELL), max(2, h // CELL)
    small = cv2.resize(frame_c, (sw, sh), interpolation=cv2.INTER_AREA)
    k = min(BG_KERNEL, sw, sh) | 1
    kernel = _BG_KERNEL if k == BG_KERNEL else cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    bg = cv2.morphologyEx(small, cv2.MORPH_OPEN, kernel, borderType=cv2.BORDER_REPLICATE)
    bg = cv2.blur(bg, (3, 3))
    return np.asarray(cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR))


def noise_sigma(frame_c: np.ndarray) -> float:
    """Temporal+pattern noise from horizontal neighbour differences (robust MAD)."""
    sub = frame_c[::16, ::4]
    d = np.abs(sub[:, 1:] - sub[:, :-1]).ravel()
    return float(np.median(d)) * 1.4826 / math.sqrt(2.0)
