"""The worn-mask region of a face, fitted to the photo.

Landmarks of a masked face are unreliable below the nose, but the eyes are found well, so the work happens in
the face's own frame: u across the eyes and v down the face, both in eye distances, from the point between the
eyes. Six parts:
1. the prior: where Algorithm 1 (engines/faces/algorithm1.py) would put each of its three face-mask templates on
   these landmarks and on the mean face put on their eyes, all of them together; training holes are these
   shapes, so the region holds them;
2. GrabCut (OpenCV) in an upright crop of the face: sure mask under the nose and over the mouth, probably mask
   in the prior, never mask near and above the eyes or far from the face; its colour models, learnt from those
   seeds, find how far the real mask reaches (below the chin, out to the ears); the convex hull of the part
   that holds the mouth is kept; where that part runs into the crop's limit below the face (a turned face looks
   longer in eye distances than a frontal one; an N95 reaches under the chin), the face is fitted again in a longer
   crop and what it finds below the limit is added (worn_mask_region);
3. the top edge: a mask's top (a white hem, a pale fold, a mask worn up to the eyes) often looks unlike the rest
   of it and lies near the eyes, where GrabCut may not go; the pixels just above the region whose colours are
   clearly nearer GrabCut's mask than the skin about the eyes, or that are a thin white band (white_hem), and that
   join it, are added (colour continuity);
4. the union, grown by Algorithm 1's HOLE_MARGIN and kept off the eyes, both where the landmarks put them and
   where MTCNN's ONet sees them (behind glasses the two can differ): the prior and GrabCut's hull stay out of a
   wide zone about the eyes (NEAR_EYES: landmark shapes are not trusted that close); what is found by its colours
   (GrabCut's mask and the top edge) may come closer, up to the eye's own opening grown by a share of its width
   (eye_openings), at the likelier of the two eye positions: beside the inner corners, under the lower lids and up
   the nose bridge, where a mask's peak rises to the line through the eyes. The prior is kept whole, though beside a narrow or turned face it covers
   some cheek or background: trimmed to GrabCut's surroundings it left the top of the mask uncovered on real photos
   where GrabCut stopped short.
5. the segmenter (engines/faces/worn_mask_net.py, when its weights are there): a small network trained on faces
   with drawn masks labels every pixel of the crop as worn mask, eye or neither. Its mask, where it joins the
   region and within NET_REACH of it, is added (never into the eyes' openings); its eyes, grown by SEEN_EYE_MARGIN,
   are taken out. It looks at the photo, not at the landmarks, so it covers what colour statistics leave out
   (a printed mask's tip beside an eye) and uncovers an eye the landmarks put elsewhere.
6. the eyes, last, from MediaPipe's face mesh (engines/faces/face_mesh.py) when it is sure it sees a face. dlib
   puts a masked face's eyes on the brows or the lower lids often enough (0.15 eye distances or more from the
   mesh's on 10 of the 56 real faces) that every zone above, placed by the landmarks, can miss the eye itself, or
   keep a strip of mask under a lower lid uncovered; the mesh finds the eye from a crop of the face. So the region
   reaches the mask's edge up to the eyes' own zone (own_eyes: the mesh's outline grown, and the landmarks' unless
   it holds plain skin where the mesh's holds an eye): the segmenter's mask there that has the mask's colours at
   the photo's resolution (mask_edge) or a white hem (hem_beside), and the margin about it; a mask worn up to the lower lids lies inside that
   zone, and the segmenter's mask there with the mask's colours is added up to the eye's opening as the mesh outlines
   it, for each eye with no iris under that outline (up_to_openings), after an eye the region reaches into, as the
   mesh outlines it, is taken out with MESH_EYE_MARGIN about it (that margin held a mask's top edge).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

from engines.faces.algorithm1 import HOLE_MARGIN, eye_distance, grow, place_template, templates
from engines.faces.detectors import onet
from engines.faces.face_mesh import eye_outlines
from engines.faces.landmarks import eye_centres, eye_contrast, eyes_frame, face_frame, mean_face_on_eyes
from engines.faces.worn_mask_synth import EYE, WORN

if TYPE_CHECKING:
    from engines.faces.worn_mask_net import WornMaskNet

PX = 40  # crop pixels per eye distance
U_RANGE, V_RANGE = (-2.2, 2.2), (-1.2, 3.0)  # the crop, in eye distances
EYES = ((-0.5, 0.02), (0.5, 0.02))  # eye centres (u, v)
NEAR_EYES = ((0.34, 0.18), 0.1)  # (half-axes about each eye, v above which): only the mask's own colours come here
MEAN_EYES = ((0.2 + HOLE_MARGIN, 0.07 + HOLE_MARGIN), -np.inf)  # the mean face's eyes (half-axes 0.2 x 0.07) grown by
# the margin: not the skin about the eyes, and the furthest the kept-clear opening of an eye reaches
EYE_MARGIN = 0.2  # eye widths (about HOLE_MARGIN eye distances on the mean face): an eye's opening grown by this much
MOUTH = ((-0.4, 0.4), (0.9, 1.4))  # (u range, v range): mask for sure
FAR_U, FAR_V = 1.9, 2.8  # beyond |u| or v: not the mask
AT_LIMIT = 1.0  # eye distances: GrabCut's mask this wide just above FAR_V runs into it (the mask goes on below)
LONGER = 0.8  # eye distances: how much further down the crop and FAR_V reach when it does
BELOW_LIMIT = FAR_V - 0.2  # eye distances below the eyes: below this, the longer fit's region is added
GRABCUT_ROUNDS = 4
SEEN_EYES_NEAR = 0.5  # eye distances: ONet's eyes this close to the landmarks' are kept clear as well
TOP_REACH = 0.25  # eye distances above the top of the prior and the hull that extend_to_top_edge looks at
SKIN = (1.0, (-0.4, 0.0))  # (|u| below, v range): the skin about and above the eyes (eyelids, between the eyes and
# the brows, the temples), less the eyes themselves
COLOURS = 3  # k-means colours of GrabCut's mask and of the skin
NET_REACH = 0.25  # eye distances: how far beyond the region found by colour the segmenter's mask is added
NET_BELOW = 1.9  # eye distances below the eyes: the chin of the mean face is at 1.7 (below: collars, necks, coats)
SEEN_EYE_MARGIN = 0.05  # eye distances: the segmenter's eyes grown by this much are never covered
CLEARLY = 0.5  # a pixel is the mask's colour when at most half as far (CIELAB) from its colours as from the skin's
MESH_SURE = 0.2  # the face mesh's eyes are kept clear when it is this sure it sees a face (on the 60 real photos: 0.24
# for a face with glasses and a mask whose eyes it found, 0.00 for the one whose eye it put on the mask)
MESH_EYE_MARGIN = 0.1  # eye distances: the mesh's eye outlines grown by this much are never covered
LANDMARK_EYE_MARGIN = 0.03  # eye distances: the landmarks' eye outlines grown by this much: the eyes' own zone
CLEARER_EYE = 1.25  # the mesh's outline of an eye holding this many times the lightness range of the landmarks' (an
# iris and sclera against one even colour): the landmarks' eye lies on a lid or the mask and is not kept clear
OPENING_MARGIN = 0.02  # eye distances: the mesh's eye outline grown by this much is the closest the worn mask's own
# pixels come to an eye (up_to_openings)
IRIS_BLUR = 0.03  # eye distances: the blur before the darkest spot near an eye is taken for its iris (approachable)
HEM_WHITE, HEM_GREY, HEM_LIGHTER = 0.85, 4, 20  # a white hem (white_hem): CIELAB L above this share of its range
# and HEM_LIGHTER (8-bit) above the skin's median, a and b within HEM_GREY of grey
HEM_TALL = 0.1  # eye distances: white taller than twice this (a backdrop, a collar) is no hem; a hem is looked for
# this far from the region
MASK_NEAR = 0.7  # a pixel at the mask's edge is the mask's colour when at most this share as far (CIELAB) from its
# colours as from the skin's


def eye_zone(u: np.ndarray, v: np.ndarray, zone: tuple[tuple[float, float], float]) -> np.ndarray:
    """NEAR_EYES or MEAN_EYES: an ellipse about each eye, and everything above the zone's line (NEAR_EYES: a line
    below the eyes; MEAN_EYES has none, its line is at minus infinity)."""
    (across, down), above = zone
    inside = v < above
    for cu, cv in EYES:
        inside |= ((u - cu) / across) ** 2 + ((v - cv) / down) ** 2 < 1
    return inside


def prior(shape: tuple[int, int], landmarks: np.ndarray) -> np.ndarray:
    """H x W bool: every pixel one of Algorithm 1's templates touches when placed on these landmarks, or on the
    mean face put on their eyes (below the nose a masked face's own landmarks are often off)."""
    out = np.zeros(shape, bool)
    for points in (landmarks, mean_face_on_eyes(landmarks)):
        for template in templates():
            out |= place_template(shape, points, template)[0][..., 3] > 0
    return out


def _box(frame: np.ndarray, shape: tuple[int, int], longer: float = 0.0) -> tuple[int, int, int, int]:
    """The photo box (y0, y1, x0, x1) the crop covers (``longer``: eye distances further down), clipped to the photo."""
    to_photo = cv2.invertAffineTransform(frame)
    corners = np.array([(u, v, 1.0) for u in U_RANGE for v in (V_RANGE[0], V_RANGE[1] + longer)]) @ to_photo.T
    x0, y0 = np.floor(corners.min(axis=0)).astype(int)
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 1
    return max(0, y0), min(shape[0], y1), max(0, x0), min(shape[1], x1)


def _uv(frame: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    y0, y1, x0, x1 = box
    x, y = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
    return frame[0, 0] * x + frame[0, 1] * y + frame[0, 2], frame[1, 0] * x + frame[1, 1] * y + frame[1, 2]


@dataclass(frozen=True)
class UprightCrop:
    """The face upright, PX pixels per eye distance, over U_RANGE x V_RANGE (or further down); u and v of every crop
    pixel."""

    image: np.ndarray  # RGB uint8
    box_to_crop: np.ndarray  # 2 x 3: pixel of the photo box -> crop pixel
    u: np.ndarray
    v: np.ndarray
    far_v: float = FAR_V  # below this v, not the mask (GrabCut's limit)

    def from_box(self, box_mask: np.ndarray) -> np.ndarray:
        """A bool mask of the photo box, in the crop."""
        return cv2.warpAffine(box_mask.astype(np.uint8), self.box_to_crop, self.u.shape[::-1], flags=cv2.INTER_NEAREST) > 0

    def to_box(self, crop_mask: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
        """A bool mask of the crop, in the photo box."""
        y0, y1, x0, x1 = box
        back = cv2.warpAffine(crop_mask.astype(np.uint8) * 255, self.box_to_crop, (x1 - x0, y1 - y0),
                              flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
        return back > 127


def upright_crop(rgb: np.ndarray, frame: np.ndarray, box: tuple[int, int, int, int], longer: float = 0.0) -> UprightCrop:
    """The face of this frame (photo pixel -> u, v) upright; ``box`` is the photo box its masks live in; ``longer``:
    the crop and GrabCut's limit reach this many eye distances further down."""
    width, height = round((U_RANGE[1] - U_RANGE[0]) * PX), round((V_RANGE[1] + longer - V_RANGE[0]) * PX)
    to_crop = PX * frame - np.array([[0, 0, U_RANGE[0] * PX], [0, 0, V_RANGE[0] * PX]])
    image = cv2.warpAffine(rgb, to_crop, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    y0, _, x0, _ = box
    box_to_crop = to_crop.copy()
    box_to_crop[:, 2] += to_crop[:, :2] @ (x0, y0)
    u, v = np.meshgrid((np.arange(width) + 0.5) / PX + U_RANGE[0], (np.arange(height) + 0.5) / PX + V_RANGE[0])
    return UprightCrop(image, box_to_crop, u, v, FAR_V + longer)


def grabcut_mask(crop: UprightCrop, likely: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GrabCut's worn mask in the crop: the part that covers the mouth, and its convex hull."""
    u, v = crop.u, crop.v
    mouth = (u > MOUTH[0][0]) & (u < MOUTH[0][1]) & (v > MOUTH[1][0]) & (v < MOUTH[1][1])
    labels = np.full(u.shape, cv2.GC_PR_BGD, np.uint8)
    labels[likely] = cv2.GC_PR_FGD
    labels[mouth] = cv2.GC_FGD
    labels[eye_zone(u, v, NEAR_EYES) | (np.abs(u) > FAR_U) | (v > crop.far_v)] = cv2.GC_BGD
    cv2.setRNGSeed(0)  # GrabCut's k-means start: the same region every time
    cv2.grabCut(crop.image, labels, None, np.zeros((1, 65)), np.zeros((1, 65)), GRABCUT_ROUNDS, cv2.GC_INIT_WITH_MASK)
    found = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
    _, parts = cv2.connectedComponents(found)
    keep = np.isin(parts, np.unique(parts[mouth & (found > 0)]))
    hull = np.zeros(u.shape, np.uint8)
    points = cv2.findNonZero(keep.astype(np.uint8))
    if points is not None:
        cv2.fillConvexPoly(hull, cv2.convexHull(points), 1)
    return keep, hull > 0


def _centres(lab: np.ndarray) -> np.ndarray:
    """COLOURS k-means centres of N x 3 colours (fewer when there are fewer colours)."""
    cv2.setRNGSeed(0)
    _, _, centres = cv2.kmeans(lab, min(COLOURS, len(lab)), None, (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 0.5),
                               2, cv2.KMEANS_PP_CENTERS)
    return centres


def _nearest(lab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return ((lab[:, None, :] - centres[None]) ** 2).sum(axis=-1).min(axis=1)


def first_rows(mask: np.ndarray) -> np.ndarray:
    """The first row of ``mask`` in each column (its height where a column is empty)."""
    return np.where(mask.any(axis=0), mask.argmax(axis=0), mask.shape[0])


def extend_to_top_edge(crop: UprightCrop, mask: np.ndarray, hull: np.ndarray, region: np.ndarray, never: np.ndarray
                       ) -> np.ndarray:
    """The pixels above GrabCut's ``hull`` (up to TOP_REACH above ``region``, its union with the prior; never where
    ``never``) whose colours are the mask's, and that join the hull: at most CLEARLY as far (CIELAB) from the colours
    of ``mask`` (what GrabCut found) as from those of the skin about the eyes, or a white hem (white_hem). The top edge of a mask (a white hem, a pale fold, a mask
    worn up to the eyes) often looks unlike the rest of it, and GrabCut, which keeps away from the eyes, leaves it
    out; the prior covers it only where the landmarks put it, and not near the eyes."""
    rows = np.arange(hull.shape[0])[:, None]
    above = (rows < first_rows(hull)) & (rows >= first_rows(region) - round(TOP_REACH * PX)) & hull.any(axis=0) & ~never
    skin = skin_about_eyes(crop)
    if not above.any() or not mask.any() or not skin.any():
        return np.zeros_like(hull)
    lab = cv2.cvtColor(crop.image, cv2.COLOR_RGB2LAB).astype(np.float32)
    like = np.zeros_like(hull)
    like[above] = _nearest(lab[above], _centres(lab[mask])) < CLEARLY ** 2 * _nearest(lab[above], _centres(lab[skin]))
    like |= above & white_hem(lab, float(np.median(lab[skin][:, 0])), round(HEM_TALL * PX))
    _, parts = cv2.connectedComponents((hull | like).astype(np.uint8), connectivity=4)
    return like & np.isin(parts, np.unique(parts[hull]))


def skin_about_eyes(crop: UprightCrop) -> np.ndarray:
    """The crop's skin about and above the eyes (SKIN), less the eyes themselves: the skin colours are taken here."""
    u, v = crop.u, crop.v
    return (np.abs(u) < SKIN[0]) & (v > SKIN[1][0]) & (v < SKIN[1][1]) & ~eye_zone(u, v, MEAN_EYES)


def white_hem(lab: np.ndarray, skin_lightness: float, tall: int) -> np.ndarray:
    """Bool mask (``lab``: 8-bit CIELAB, float): white and grey (HEM_WHITE, HEM_GREY), HEM_LIGHTER lighter than the
    skin's median ``skin_lightness``, and not in a white run of more than 2 * ``tall`` + 1 pixels up and down (a
    backdrop, a collar, a pale cheek): a mask's white hem, which looks like neither its body nor the skin (a
    surgical mask's yellow body under a white hem beside a white backdrop: Screenshot (263).jpg)."""
    white = (lab[..., 0] > max(HEM_WHITE * 255, skin_lightness + HEM_LIGHTER)) & (np.abs(lab[..., 1:] - 128).max(axis=2) < HEM_GREY)
    column = np.ones((2 * tall + 1, 1), np.uint8)
    return white & ~(cv2.dilate(cv2.erode(white.astype(np.uint8), column), column) > 0)


def hem_beside(lab: np.ndarray, crop: UprightCrop, region: np.ndarray, zone: np.ndarray, distance: float) -> np.ndarray:
    """Bool mask of a box of the photo (``lab``: its CIELAB colours): a white hem (white_hem) in ``zone`` within
    HEM_TALL of ``region`` that joins it. Beside the eyes, where the top edge (extend_to_top_edge) does not look."""
    skin = skin_about_eyes(crop)
    if not skin.any():
        return np.zeros_like(region)
    tall = round(HEM_TALL * distance)
    lightness = float(np.median(cv2.cvtColor(crop.image, cv2.COLOR_RGB2LAB)[..., 0][skin]))
    band = zone & grow(region, tall) & ~region & white_hem(lab, lightness, tall)
    _, parts = cv2.connectedComponents((region | band).astype(np.uint8), connectivity=4)
    return band & np.isin(parts, np.unique(parts[region]))


def likelier_eyes(rgb: np.ndarray, landmarks: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """2 x 2: each eye's centre, the landmarks' or where ONet sees it (``seen``), whichever holds the more eye-like
    outline (the landmarks' eye moved there; landmarks.eye_contrast). The two can be 0.1 eye distances apart, and
    the eye itself is kept clear at the likelier place only (the zone near the eyes is kept at both)."""
    centres = eye_centres(landmarks)
    here, there = eye_contrast(rgb, landmarks), eye_contrast(rgb, eyes_moved(landmarks, seen))
    return np.array([seen[i] if there[i] > here[i] else centres[i] for i in range(2)])


def eyes_moved(landmarks: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """The landmarks with each eye's six points shifted to centre at ``centres`` (2 x 2, right eye first)."""
    moved = np.array(landmarks, np.float64)
    for eye, centre in zip((slice(36, 42), slice(42, 48)), centres):
        moved[eye] += centre - moved[eye].mean(axis=0)
    return moved


def eye_openings(shape: tuple[int, int], landmarks: np.ndarray, eyes: np.ndarray) -> np.ndarray:
    """H x W bool, what the worn-mask region never covers: each eye's opening (the landmarks' six-point outline moved
    to centre at ``eyes``, 2 x 2, right eye first) grown by EYE_MARGIN of its width, within the mean eye (MEAN_EYES,
    dlib's lower lid is sometimes placed low); and what lies above the eyes (above_eyes). The wide disk of the mean
    eye used to keep the mask beside the inner corner and on the nose bridge uncovered; the margin of a far eye,
    turned away and narrower, is smaller too."""
    moved = landmark_eyes(landmarks, eyes)
    grown = np.zeros(shape, bool)
    for points in moved:
        grown |= grow(_filled(shape, points), round(EYE_MARGIN * float(np.linalg.norm(points[3] - points[0]))))
    u, v = _uv(eyes_frame(*eyes), (0, shape[0], 0, shape[1]))
    return (grown & eye_zone(u, v, MEAN_EYES)) | above_eyes(shape, moved, eyes)


def landmark_eyes(landmarks: np.ndarray, eyes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each eye's six landmarks moved to centre at ``eyes`` (2 x 2), right eye first."""
    shifted = eyes_moved(landmarks, eyes)
    return shifted[36:42], shifted[42:48]


def _traced(shape: tuple[int, int], outline: np.ndarray) -> np.ndarray:
    """H x W bool: inside this outline (photo points, in order round it), as drawn."""
    inside = np.zeros(shape, np.uint8)
    cv2.fillPoly(inside, [np.round(outline).astype(np.int32)], 1)
    return inside > 0


def _filled(shape: tuple[int, int], points: np.ndarray) -> np.ndarray:
    """H x W bool: the convex hull of these photo points."""
    inside = np.zeros(shape, np.uint8)
    cv2.fillConvexPoly(inside, cv2.convexHull(np.round(points).astype(np.int32)), 1)
    return inside > 0


def above_eyes(shape: tuple[int, int], moved: tuple[np.ndarray, np.ndarray], eyes: np.ndarray) -> np.ndarray:
    """H x W bool: everything above the line through the eyes, except between the inner corners of the eyes'
    outlines (``moved``), up the nose bridge, where a mask's peak may reach that line: there, above it by EYE_MARGIN
    of the wider eye."""
    frame = eyes_frame(*eyes)
    u, v = _uv(frame, (0, shape[0], 0, shape[1]))
    margin = EYE_MARGIN * max(float(np.linalg.norm(points[3] - points[0])) for points in moved)
    inner = [frame[0, :2] @ point + frame[0, 2] for point in (moved[0][3], moved[1][0])]  # u of the inner corners
    top = np.where((u > inner[0]) & (u < inner[1]), -margin / float(np.linalg.norm(eyes[1] - eyes[0])), 0.0)
    return v < top


def learned_parts(crop: UprightCrop, net: "WornMaskNet") -> tuple[np.ndarray, np.ndarray]:
    """The segmenter's worn mask and eyes in the crop: the mask within the face (FAR_U, and above NET_BELOW: a white
    collar or scarf under the chin looks like a mask's lower edge), the eyes within
    SEEN_EYES_NEAR of where the landmarks put them (an eye found elsewhere is a button, a print, an ear loop's knot)."""
    from engines.faces.worn_mask_net import label_probabilities

    probabilities = label_probabilities(net, crop.image)
    u, v = crop.u, crop.v
    worn = (probabilities[WORN] > 0.5) & (np.abs(u) < FAR_U) & (v < NET_BELOW)
    eyes = (probabilities[EYE] > 0.5) & (np.hypot(np.abs(u) - EYES[1][0], v - EYES[1][1]) < SEEN_EYES_NEAR)
    return worn, eyes


def worn_mask_region(rgb: np.ndarray, landmarks: np.ndarray, refine: bool = True, segmenter: bool = True) -> np.ndarray:
    """H x W bool: the worn mask of the face with these landmarks, grown by HOLE_MARGIN, never over the eyes.
    ``refine=False``: from the landmarks alone (the prior: no GrabCut, no segmenter, no face mesh);
    ``segmenter=False``: fitted by colours alone (as without the segmenter's weights). Where GrabCut's mask runs into
    its limit below the face (FAR_V) across AT_LIMIT eye distances, the mask goes on below it (a turned face, whose eyes
    look closer together than the face is long; an N95 under the chin): the face is fitted again in a crop reaching
    LONGER eye distances further down, and what that fit finds below BELOW_LIMIT is added."""
    landmarks = np.asarray(landmarks, np.float64)
    out, at_limit = _fitted(rgb, landmarks, refine, segmenter, 0.0)
    if at_limit:
        longer, _ = _fitted(rgb, landmarks, refine, segmenter, LONGER)
        new = longer & ~out
        if new.any():
            ys, xs = np.nonzero(new)
            box = (int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1)
            below = _uv(face_frame(landmarks), box)[1] > BELOW_LIMIT
            out[box[0]:box[1], box[2]:box[3]] |= new[box[0]:box[1], box[2]:box[3]] & below
    return out


def _fitted(rgb: np.ndarray, landmarks: np.ndarray, refine: bool, segmenter: bool, longer: float) -> tuple[np.ndarray, bool]:
    """worn_mask_region fitted in a crop reaching ``longer`` eye distances further down than V_RANGE (and GrabCut's
    limit with it), and whether GrabCut's mask ran into that limit (runs_into_limit)."""
    frame = face_frame(landmarks)
    box = _box(frame, rgb.shape[:2], longer)
    y0, y1, x0, x1 = box
    out = np.zeros(rgb.shape[:2], bool)
    at_limit = False
    if y1 <= y0 or x1 <= x0:
        return out, at_limit
    region = prior((y1 - y0, x1 - x0), landmarks - (x0, y0))
    near, eyes = eye_zone(*_uv(frame, box), NEAR_EYES), eye_centres(landmarks)
    seen = onet(rgb, eyes)[1]
    distance = eye_distance(landmarks)
    if np.linalg.norm(seen - eyes, axis=1).max() < SEEN_EYES_NEAR * distance:
        near |= eye_zone(*_uv(eyes_frame(*seen), box), NEAR_EYES)  # where MTCNN's ONet sees the eyes is kept clear too
        eyes = likelier_eyes(rgb, landmarks, seen)
    never = eye_openings((y1 - y0, x1 - x0), landmarks - (x0, y0), eyes - (x0, y0))
    margin = round(HOLE_MARGIN * distance)
    by_colour = np.zeros_like(region)
    if refine:
        crop = upright_crop(rgb, frame, box, longer)
        likely = crop.from_box(region)
        mask, hull = grabcut_mask(crop, likely)
        at_limit = runs_into_limit(crop, mask)
        region |= crop.to_box(hull, box)
        by_colour = crop.to_box(mask | extend_to_top_edge(crop, mask, hull, likely | hull, crop.from_box(never)), box)
    found = (grow(region & ~near, margin) & ~near) | (grow(by_colour, margin) & ~never)
    from engines.faces.worn_mask_net import load_segmenter  # torch only once a face's region is fitted

    net = load_segmenter() if refine and segmenter else None
    reach = np.zeros_like(found)
    if net is not None:
        worn, eyes_seen = (crop.to_box(part, box) for part in learned_parts(crop, net))
        _, parts = cv2.connectedComponents(worn.astype(np.uint8))
        worn &= np.isin(parts, np.unique(parts[worn & found]))  # what joins the region found by colour
        reach = worn & grow(found, round(NET_REACH * distance))
        found |= grow(reach, margin) & ~never
    if refine:
        outlines, sure = eye_outlines(rgb, eye_centres(landmarks))
        if sure >= MESH_SURE:
            lab = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2LAB).astype(np.float32)
            zones = own_eyes(lab[..., 0], landmarks, eyes, outlines, box)
            own, under = zones.own, zones.under
            edge = (reach & found) | mask_edge(lab, crop, mask, reach & ~found & ~own, found)
            edge |= hem_beside(lab, crop, found | edge, never & ~own & under, distance)
            found |= edge | (grow(edge, margin) & never & ~own & under)  # the margin, where the eyes' zones kept it off
        if net is not None:
            found &= ~grow(eyes_seen, round(SEEN_EYE_MARGIN * distance))
        found &= ~eyes_reached(found, outlines, sure, distance, (x0, y0))
        if net is not None and sure >= MESH_SURE:  # after: the margin eyes_reached takes out held a mask's top edge
            found |= up_to_openings(lab, crop, mask, worn, found, zones, grow(eyes_seen, 1), distance)
    out[y0:y1, x0:x1] = found
    return out, at_limit


def runs_into_limit(crop: UprightCrop, mask: np.ndarray) -> bool:
    """Whether GrabCut's ``mask`` (in ``crop``) spans AT_LIMIT eye distances across in the last tenth of an eye
    distance above its limit (``crop.far_v``)."""
    band = (crop.v > crop.far_v - 0.1) & (crop.v < crop.far_v)
    return float((mask & band).any(axis=0).sum()) / PX >= AT_LIMIT


@dataclass(frozen=True)
class EyeZones:
    """Bool masks of a box of the photo about the eyes, once the face mesh is sure it sees a face (own_eyes)."""

    own: np.ndarray  # the eyes' own zone: as close as the region's margin may come to an eye, and all above the eyes
    under: np.ndarray  # under, over and between the eyes: from the outer edge of one eye's zone to the other's
    hulls: tuple[np.ndarray, ...]  # each eye's own zone (without what lies above the eyes)
    openings: tuple[np.ndarray, ...]  # each eye's opening as the mesh outlines it
    closest: tuple[np.ndarray, ...]  # each eye's opening grown by OPENING_MARGIN
    above: np.ndarray  # above the line through the eyes (above_eyes)


def own_eyes(lightness: np.ndarray, landmarks: np.ndarray, eyes: np.ndarray, outlines: np.ndarray,
             box: tuple[int, int, int, int]) -> EyeZones:
    """The eyes' zones in the photo ``box`` (whose CIELAB ``lightness`` is given). The own zone is as close as the
    region's margin may come to an eye once the mesh is sure it sees a face: the mesh's outline grown by
    MESH_EYE_MARGIN, and the landmarks' outline (moved to centre at ``eyes``) grown by LANDMARK_EYE_MARGIN, unless the
    mesh's outline holds CLEARER_EYE times its lightness range (the landmarks' eye then lies on a lid or the mask:
    dlib's eyes 0.15 eye distances or more from the mesh's on 10 of the 56 real faces). The mesh is not trusted
    alone: behind glasses it has put an eye's outline on the upper lid. Each eye's zone is the convex hull of the two
    (no finger of skin left between them); what lies above the eyes (above_eyes) belongs to the own zone too. The
    closest the worn mask itself may come (up_to_openings): the mesh's opening grown by OPENING_MARGIN (not the
    landmarks': on a white mask worn up to the eyes dlib put an inner corner on the mask)."""
    y0, y1, x0, x1 = box
    shape, distance = (y1 - y0, x1 - x0), eye_distance(landmarks)
    u = _uv(face_frame(landmarks), box)[0]
    moved = landmark_eyes(landmarks - (x0, y0), eyes - (x0, y0))
    hulls, openings, closest = [], [], []
    for mesh_eye, landmark_eye in zip(outlines - (x0, y0), moved):
        mesh_opening = _traced(shape, mesh_eye)
        eye = grow(mesh_opening, round(MESH_EYE_MARGIN * distance))
        near = grow(mesh_opening, max(1, round(OPENING_MARGIN * distance)))
        landmark_opening = _filled(shape, landmark_eye)
        if lightness_range(lightness, mesh_opening) <= CLEARER_EYE * lightness_range(lightness, landmark_opening):
            eye |= grow(landmark_opening, round(LANDMARK_EYE_MARGIN * distance))
        hull = _filled(shape, cv2.findNonZero(eye.astype(np.uint8)).reshape(-1, 2)) if eye.any() else eye
        hulls.append(hull)
        openings.append(mesh_opening)
        closest.append(near)
    own = np.logical_or.reduce(hulls)
    under = (u >= u[own].min(initial=0)) & (u <= u[own].max(initial=0))
    above = above_eyes(shape, moved, eyes - (x0, y0))
    return EyeZones(own | above, under, tuple(hulls), tuple(openings), tuple(closest), above)


def up_to_openings(lab: np.ndarray, crop: UprightCrop, mask: np.ndarray, worn: np.ndarray, found: np.ndarray,
                   zones: EyeZones, seen_eyes: np.ndarray, distance: float) -> np.ndarray:
    """Bool mask of a box of the photo (``lab``: its CIELAB colours): the segmenter's mask (``worn``) inside the eyes'
    own zones, under and between the eyes (not above the line through them), that has the mask's colours (mask_edge)
    and joins ``found``, up to each eye's opening (``zones.closest``; never the segmenter's ``seen_eyes``), and one
    pixel more for a blurred edge. A mask worn up to the lower lids (a white mask touching them) left a strip inside the
    own zone's margin. An eye is approached only where no iris lies under the mesh's outline of it (approachable):
    behind glasses the mesh and dlib have both put an eye on the upper lid, and the iris under it has a printed mask's
    colours."""
    clear = zones.above | seen_eyes
    centres = [cv2.findNonZero(o.astype(np.uint8)).reshape(-1, 2).mean(axis=0) if o.any() else np.zeros(2) for o in zones.openings]
    across = (centres[1] - centres[0]) / max(1e-6, float(np.linalg.norm(centres[1] - centres[0])))
    down = np.array([-across[1], across[0]])  # down the face, photo x y
    for hull, opening, closest in zip(zones.hulls, zones.openings, zones.closest):
        clear |= closest if approachable(lab[..., 0], opening, found, distance, down) else hull
    allowed = np.logical_or.reduce(zones.hulls) & zones.under & ~clear
    add = mask_edge(lab, crop, mask, worn & allowed & ~found, found)
    return add | (grow(add, 1) & allowed)


def approachable(lightness: np.ndarray, opening: np.ndarray, found: np.ndarray, distance: float, down: np.ndarray) -> bool:
    """Whether the darkest spot (CIELAB L blurred over IRIS_BLUR eye distances) within a quarter of an eye distance of
    this ``opening``'s centre, outside ``found``, lies in the opening (or its rim) or above its centre (``down``: the
    unit vector down the face, photo x y): the iris, or a cap's brim, a brow or a glasses frame darker than it. Below
    the outline it is an iris the mesh put its outline above (on the 60 real photos: both eyes of a face behind
    glasses) or a dark mask beside the eye, and the eye is not approached."""
    points = cv2.findNonZero(opening.astype(np.uint8))
    if points is None:
        return False
    cx, cy = points.reshape(-1, 2).mean(axis=0)
    sigma, reach = max(0.5, IRIS_BLUR * distance), 0.25 * distance
    pad = reach + 4 * sigma  # the blur is taken in a window about the eye: 4 sigmas beyond what is searched
    x0, y0 = max(0, int(cx - pad)), max(0, int(cy - pad))
    x1, y1 = min(opening.shape[1], int(cx + pad) + 2), min(opening.shape[0], int(cy + pad) + 2)
    y, x = np.mgrid[y0:y1, x0:x1]
    near = (np.hypot(x - cx, y - cy) < reach) & ~found[y0:y1, x0:x1]
    if not near.any():
        return False
    blurred = cv2.GaussianBlur(np.ascontiguousarray(lightness[y0:y1, x0:x1]), (0, 0), sigma)
    dy, dx = np.unravel_index(np.argmin(np.where(near, blurred, np.inf)), near.shape)
    row, col = y0 + int(dy), x0 + int(dx)
    rim = opening[max(0, row - 1):row + 2, max(0, col - 1):col + 2].any()  # in the opening grown by a pixel
    return bool(rim) or float(np.dot((col - cx, row - cy), down)) < 0


def lightness_range(lightness: np.ndarray, inside: np.ndarray) -> float:
    """CIELAB L from the 5th to the 95th percentile inside a bool mask (0 when it holds fewer than 4 pixels)."""
    values = lightness[inside]
    return float(np.percentile(values, 95) - np.percentile(values, 5)) if values.size > 3 else 0.0


def mask_edge(lab: np.ndarray, crop: UprightCrop, mask: np.ndarray, candidates: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Bool mask of a box of the photo (``lab``: its CIELAB colours, float): the ``candidates`` (the segmenter's mask
    beside the region, outside the eyes' own zone) whose colours, at the photo's own resolution, are the mask's: at most MASK_NEAR as far from the colours
    of ``mask`` (what GrabCut found, in the crop) as from the skin about the eyes (its median: the zone holds lashes
    and shadows as dark as a black mask), and that join ``found``. Where dlib put the eyes on the lower lids, a strip
    of mask under them lies inside the landmarks' eye margin; this reaches it, up to the eyes' own zone."""
    skin = skin_about_eyes(crop)
    if not candidates.any() or not mask.any() or not skin.any():
        return np.zeros_like(candidates)
    crop_lab = cv2.cvtColor(crop.image, cv2.COLOR_RGB2LAB).astype(np.float32)
    here = lab[candidates]
    like = np.zeros_like(candidates)
    like[candidates] = (_nearest(here, _centres(crop_lab[mask]))
                        < MASK_NEAR ** 2 * _nearest(here, np.median(crop_lab[skin], axis=0)[None]))
    _, parts = cv2.connectedComponents((found | like).astype(np.uint8), connectivity=4)
    return like & np.isin(parts, np.unique(parts[found]))


def eyes_reached(region: np.ndarray, outlines: np.ndarray, sure: float, distance: float, origin: tuple[int, int]) -> np.ndarray:
    """H x W bool, of ``region`` (a box of the photo at ``origin``, x y): each eye's opening as MediaPipe's face mesh
    outlines it (``outlines``, photo pixels, 2 x 16 x 2), grown by MESH_EYE_MARGIN of the eye ``distance``, for the
    eyes the region reaches into (one that stays clear of an eye is left as it is: the mesh's outline is not the
    opening to the pixel); nothing when the mesh is less than MESH_SURE (``sure``) that it sees a face."""
    out = np.zeros(region.shape, bool)
    if sure < MESH_SURE:
        return out
    for outline in outlines:
        eye = _traced(region.shape, outline - origin)
        if (region & eye).any():
            out |= grow(eye, round(MESH_EYE_MARGIN * distance))
    return out
