"""Face tools: region geometry on synthetic landmarks, Algorithm 1 against hand-computed values, dlib on a photo."""
from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from engines.faces.algorithm1 import HOLE_MARGIN, MaskStyle, eye_distance, grow, load_template, place_template, placement, put_mask, vary
from engines.faces.landmarks import face_frame
from engines.faces.regions import FaceRegion, region_mask, region_polygon
from engines.faces.worn_mask import (
    MEAN_EYES,
    _uv,
    eye_openings,
    eye_zone,
    landmark_eyes,
    mask_edge,
    own_eyes,
    up_to_openings,
    white_hem,
    upright_crop,
    worn_mask_region,
)

SAMPLES = Path(__file__).resolve().parents[3] / "resources" / "samples"


def synthetic_landmarks() -> np.ndarray:
    """A symmetric frontal face on a 100 x 120 canvas with round numbers where the tests need them."""
    p = np.zeros((68, 2), np.float32)
    for i in range(17):  # jaw: a half ellipse from (20, 40) through the chin (50, 100) to (80, 40)
        t = math.pi * (1 - i / 16)
        p[i] = (50 + 30 * math.cos(t), 40 + 60 * math.sin(math.pi * i / 16))
    p[17:22] = [(25 + 5 * i, 30) for i in range(5)]
    p[22:27] = [(55 + 5 * i, 30) for i in range(5)]
    p[27:31] = [(50, 40 + 5 * i) for i in range(4)]  # nose bridge 27..30
    p[31:36] = [(44 + 3 * i, 62) for i in range(5)]  # nostrils, 33 = (50, 62)
    p[36:42] = [(30, 40), (33, 38), (37, 38), (40, 40), (37, 42), (33, 42)]
    p[42:48] = [(60, 40), (63, 38), (67, 38), (70, 40), (67, 42), (63, 42)]
    for i in range(12):
        t = 2 * math.pi * i / 12
        p[48 + i] = (50 - 12 * math.cos(t), 78 - 5 * math.sin(t))
    p[60:68] = p[48:56]
    return p


def test_worn_mask_region_covers_nose_to_chin_and_cheek_to_cheek():
    p = synthetic_landmarks()
    mask = worn_mask_region(np.full((120, 100, 3), 128, np.uint8), p)
    for x, y in [(50, 62), (50, 78), (50, 95), (25, 60), (75, 60)]:  # nose tip, mouth, chin, cheeks
        assert mask[y, x], (x, y)
    for x, y in [(33, 40), (67, 40), (50, 20), (5, 60)]:  # eyes, forehead, outside
        assert not mask[y, x], (x, y)


def test_eyes_glasses_face_mouth_regions():
    p = synthetic_landmarks()
    grey = (120, 100)
    eyes = region_mask(grey, p, FaceRegion.EYES)
    assert eyes[40, 33] and eyes[40, 67] and eyes[40, 50] and not eyes[62, 50] and not eyes[20, 50]
    glasses = region_mask(grey, p, FaceRegion.GLASSES)
    assert glasses[40, 22] and glasses[32, 50] and not glasses[78, 50]
    face = region_mask(grey, p, FaceRegion.FACE)
    assert face[30, 50] and face[95, 50] and not face[110, 50] and not face[60, 10]
    mouth = region_mask(grey, p, FaceRegion.MOUTH)
    assert mouth[78, 50] and not mouth[62, 50] and mouth.sum() < eyes.sum() * 2


def test_margin_grows_and_shrinks():
    p = synthetic_landmarks()
    grey = (120, 100)
    base = region_mask(grey, p, FaceRegion.MOUTH).sum()
    assert region_mask(grey, p, FaceRegion.MOUTH, 3).sum() > base > region_mask(grey, p, FaceRegion.MOUTH, -2).sum()
    with pytest.raises(ValueError, match="68 x 2"):
        region_polygon(p[:60], FaceRegion.FACE)


def test_algorithm1_placement_hand_computed():
    p = synthetic_landmarks()
    place = placement(p)
    assert place.height == pytest.approx(1.2 * np.linalg.norm(p[29] - p[8]))
    assert place.width_right == pytest.approx(1.2 * np.linalg.norm(p[29] - p[1]))
    assert place.width_left == pytest.approx(1.2 * np.linalg.norm(p[29] - p[16]))
    assert place.anchor == pytest.approx(((50 + 50) / 2, (50 + 100) / 2))  # p29 = (50, 50), p8 = (50, 100)
    assert place.angle == pytest.approx(0.0)


def two_colour_template() -> np.ndarray:
    """A fully opaque template: red on the half that goes to the face's right, blue on the other."""
    template = np.zeros((80, 120, 4), np.uint8)
    template[..., 3] = 255
    template[:, :60, 0] = 255
    template[:, 60:, 2] = 255
    return template


def test_algorithm1_puts_a_mask_of_that_size_there():
    p = synthetic_landmarks()
    image = np.full((120, 100, 3), 128, np.uint8)
    masked, hole, place = put_mask(image, p, two_colour_template())
    ys, xs = np.nonzero((masked != 128).any(axis=-1))  # where the mask was drawn
    assert abs((ys.max() - ys.min() + 1) - place.height) <= 3
    assert abs((xs.max() - xs.min() + 1) - (place.width_right + place.width_left)) <= 4
    assert abs(xs.min() - (place.anchor[0] - place.width_right)) <= 2
    assert abs((ys.min() + ys.max()) / 2 - place.anchor[1]) <= 2
    red = np.nonzero(masked[..., 0] > 200)[1]
    assert abs(red.max() + 1 - place.anchor[0]) <= 1.5, "the halves join on the anchor"
    assert (masked[~hole] == 128).all()


def test_the_training_hole_covers_every_pixel_the_mask_touches_and_a_margin():
    """Issue 18 item 3: a hole of alpha > 127 left a ring of half-transparent mask colour outside it."""
    p = synthetic_landmarks() * 2
    image = np.full((240, 200, 3), 128, np.uint8)
    for style in MaskStyle:
        template = load_template(style)
        masked, hole, _ = put_mask(image, p, template)
        touched = (masked != 128).any(axis=-1)
        half = place_template(image.shape[:2], p, template)[0][..., 3]
        assert ((half > 0) & (half <= 127)).sum() > 100, "the templates do have a soft edge"
        assert not (touched & ~hole).any(), f"{style}: mask colour outside the hole"
        margin = round(HOLE_MARGIN * eye_distance(p))
        assert margin >= 2 and np.array_equal(hole, grow(half > 0, margin)), "every pixel with alpha > 0, grown by the margin"


def test_a_real_template_covers_mouth_and_nose_tip_not_the_eyes():
    p = synthetic_landmarks()
    masked, hole, _ = put_mask(np.full((120, 100, 3), 128, np.uint8), p, load_template(MaskStyle.SURGICAL))
    assert hole[78, 50] and hole[62, 50] and not hole[40, 33]
    assert (masked[hole] != 128).any(axis=-1).mean() > 0.8  # the rest: the margin around the drawn mask


def test_algorithm1_follows_the_tilt_of_the_nose_to_chin_line():
    p = synthetic_landmarks()
    theta = math.radians(20)
    centre = np.array([50, 60], np.float32)
    rotation = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]], np.float32)
    tilted = (p - centre) @ rotation.T + centre  # turned 20 degrees clockwise on screen
    place = placement(tilted)
    assert place.angle == pytest.approx(-20.0, abs=1e-3)
    masked, _, _ = put_mask(np.zeros((120, 100, 3), np.uint8), tilted, two_colour_template())
    red = np.argwhere(masked[..., 0] > 128).mean(axis=0)
    blue = np.argwhere(masked[..., 2] > 128).mean(axis=0)
    across = math.degrees(math.atan2(blue[0] - red[0], blue[1] - red[1]))  # (dy, dx): the mask's horizontal axis
    assert across == pytest.approx(20.0, abs=2.0), "the mask turns with the face"


def test_variation_changes_colour_but_not_shape():
    template = load_template(MaskStyle.N95)
    varied = vary(template, np.random.default_rng(3))
    assert np.array_equal(varied[..., 3], template[..., 3]) and not np.array_equal(varied[..., :3], template[..., :3])


def test_dlib_finds_the_astronaut_and_places_the_worn_mask_region():
    from engines.faces.search import detect_faces
    from engines.imageio import load_image

    image = load_image(SAMPLES / "astronaut.jpg").rgb
    face = detect_faces(image, quick=True)[0]
    assert face.detector == "hog" and not face.estimated and face.score > 0.9
    left, top, right, bottom = face.box
    assert 150 < (left + right) / 2 < 260 and 60 < (top + bottom) / 2 < 180
    mask = worn_mask_region(image, face.landmarks)
    mouth = face.landmarks[48:60].mean(0).round().astype(int)
    eye = face.landmarks[36:42].mean(0).round().astype(int)
    assert mask[mouth[1], mouth[0]] and not mask[eye[1], eye[0]]


def test_an_implausible_lower_face_is_the_mean_face_put_on_the_eyes():
    from engines.faces.align import canonical
    from engines.faces.landmarks import Face, _checked

    mean = canonical(128).astype(np.float64) * 2 + 5
    points = mean.copy()
    points[8] = points[27]  # the chin on the nose bridge: a worn mask fooled the fit
    face = _checked(Face((0, 0, 256, 256), points.astype(np.float32), "hog"))
    assert face.estimated and np.abs(face.landmarks - mean).max() < 1e-3
    assert not _checked(Face((0, 0, 256, 256), mean.astype(np.float32), "hog")).estimated


def test_the_eyes_kept_clear_are_their_openings_not_the_skin_beside_them():
    """What the worn-mask region never covers: each eye's opening grown by a fifth of its width and what lies above
    the eyes; beside the inner corners, under the lower lids and up the nose bridge to just above the line through
    the eyes (where a mask's peak reaches) stay free, and nothing outside the zone kept before (the mean eye grown by
    the margin, and everything above the line through the eyes) is kept now."""
    p = synthetic_landmarks() * 4  # eye distance 120 px, eyes 40 px wide: a margin of 8 px
    eyes = np.array([p[36:42].mean(axis=0), p[42:48].mean(axis=0)])
    never = eye_openings((480, 400), p, eyes)
    for x, y in [(140, 160), (120, 160), (160, 160), (148, 171), (268, 149), (100, 155), (200, 140)]:
        assert never[y, x], (x, y)  # eye, corners, lid + margin, above the eyes beside the outer corner, high on the bridge
    for x, y in [(200, 155), (172, 168), (140, 180), (260, 180)]:
        assert not never[y, x], (x, y)  # the bridge at the eyes' height, beside the inner corner, under the lower lids
    u, v = _uv(face_frame(p), (0, 480, 0, 400))
    assert not (never & ~(eye_zone(u, v, MEAN_EYES) | (v < 0))).any()


def _lightness(rgb: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)[..., 0]


def test_an_eye_the_landmarks_put_on_the_lower_lid_is_kept_clear_where_the_mesh_sees_it():
    """The eyes' own zone (worn_mask.own_eyes): the mesh's outline of each eye, grown, and the landmarks' outline
    too, unless the mesh's holds clearly more contrast (an iris and sclera where the landmarks' holds plain skin):
    then the skin under the eye, where a mask's top edge may lie, is not kept clear on the landmarks' word."""
    p = synthetic_landmarks() * 4  # eye distance 120 px
    eyes = np.array([p[36:42].mean(axis=0), p[42:48].mean(axis=0)])
    skin = np.random.default_rng(0).normal((200, 160, 140), 4, (480, 400, 3)).clip(0, 255).astype(np.uint8)  # not flat
    image = skin.copy()
    mesh = np.array([[eye + 18 * np.array([math.cos(t), 0.4 * math.sin(t)]) for t in np.linspace(0, 2 * math.pi, 16, endpoint=False)]
                     for eye in eyes])
    for eye in eyes:  # white sclera, dark iris
        cv2.ellipse(image, tuple(int(c) for c in eye), (18, 7), 0, 0, 360, (245, 245, 245), -1)
        cv2.circle(image, tuple(int(c) for c in eye), 6, (40, 30, 30), -1)
    box = (0, 480, 0, 400)
    low = p.copy()
    low[36:48] += (0, 30)  # the landmarks' eyes a quarter of an eye distance down, on the skin under the eyes
    under_eye = tuple(np.round(landmark_eyes(low, eyes + (0, 30))[0].mean(axis=0)).astype(int))
    zones = own_eyes(_lightness(image), low, eyes + (0, 30), mesh, box)
    own, under = zones.own, zones.under
    assert own[int(eyes[0][1]), int(eyes[0][0])] and not own[under_eye[1], under_eye[0]], "the mesh's eye, not the skin"
    assert under[under_eye[1], under_eye[0]] and not under[int(eyes[0][1]), 20], "under the eyes, not beside them"
    own = own_eyes(_lightness(image), p, eyes, mesh, box).own
    assert own[int(eyes[0][1]), int(eyes[0][0])], "where both outline the eye, it is kept clear"
    own = own_eyes(_lightness(skin), low, eyes + (0, 30), mesh, box).own
    assert own[under_eye[1], under_eye[0]], "with no eye to tell them apart, the landmarks' eye is kept clear as well"


def _eyes_on_skin() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Landmarks (eye distance 120 px, eyes at y 160), their eye centres, a photo of skin with two eyes (sclera and iris)
    and the mesh's outline of each (36 x 14 px)."""
    p = synthetic_landmarks() * 4
    eyes = np.array([p[36:42].mean(axis=0), p[42:48].mean(axis=0)])
    image = np.random.default_rng(0).normal((200, 160, 140), 4, (480, 400, 3)).clip(0, 255).astype(np.uint8)
    mesh = np.array([[eye + 18 * np.array([math.cos(t), 0.4 * math.sin(t)]) for t in np.linspace(0, 2 * math.pi, 16, endpoint=False)]
                     for eye in eyes])
    for eye in eyes:
        cv2.ellipse(image, tuple(int(c) for c in eye), (18, 7), 0, 0, 360, (245, 245, 245), -1)
        cv2.circle(image, tuple(int(c) for c in eye), 6, (40, 30, 30), -1)
    return p, eyes, image, mesh


def test_a_white_mask_up_to_the_lower_lids_is_covered_up_to_the_eyes_and_not_where_the_iris_is_elsewhere():
    """worn_mask.up_to_openings: a white mask worn up to 4 px under the eyes lies inside the own zone's margin (12 px);
    the segmenter's mask there, with the mask's colours, is added up to the eye's opening grown by OPENING_MARGIN. Where
    the eye lies 12 px under the mesh's outline of it (behind glasses the mesh and dlib have both put an eye on the
    upper lid) and the segmenter takes its lower half for the mask, the iris (the darkest spot) is under the outline:
    that eye is not approached, its whole own zone stays clear. A cap's brim darker than the iris above an eye does
    not keep it from being approached."""
    p, eyes, image, mesh = _eyes_on_skin()
    image[171:] = (238, 238, 240)  # the mask: its top edge 4 px under the eyes' openings (they end at y 167)
    lower, capped = image.copy(), image.copy()
    centre = (int(eyes[0][0]), int(eyes[0][1]) + 12)
    cv2.ellipse(lower, centre, (18, 7), 0, 0, 360, (245, 245, 245), -1)
    cv2.circle(lower, centre, 6, (40, 30, 30), -1)
    capped[138:148] = (8, 8, 10)  # a black brim 12 px above the eyes
    box, distance = (0, 480, 0, 400), eye_distance(p)
    rows = np.arange(480)[:, None].repeat(400, axis=1)
    found, worn = rows >= 180, rows >= 171  # the region, held off by the own zone (to y 179); the segmenter's mask
    seen = np.zeros_like(found)
    for photo, approached in ((image, (True, True)), (lower, (False, True)), (capped, (True, True))):
        lab = cv2.cvtColor(photo, cv2.COLOR_RGB2LAB).astype(np.float32)
        crop = upright_crop(photo, face_frame(p), box)
        zones = own_eyes(lab[..., 0], p, eyes, mesh, box)
        assert all(zones.own[176, int(x)] for x, _ in eyes), "the mask's top lies in the own zone's margin"
        added = up_to_openings(lab, crop, crop.from_box(rows >= 200), worn, found, zones, seen, distance)
        for (x, _), near in zip(eyes, approached):
            x = int(x)
            assert added[171:180, x].all() == near and added[160:180, x - 20:x + 20].any() == near, (x, near)
        assert not added[:170].any(), "never the eyes' openings or the skin above the mask"
        assert not (added & ~grow(worn, 1)).any(), "the segmenter's mask, and a pixel about it for a blurred edge"


@pytest.mark.parametrize("bottom, reached", [(600, True), (440, False)], ids=["long", "short"])
def test_a_mask_that_runs_past_grabcuts_limit_is_followed_further_down(bottom, reached):
    """worn_mask.worn_mask_region: a green mask from the nose down to 3.7 eye distances below the eyes (a turned face
    or an N95 under the chin; GrabCut stops at FAR_V, 2.8) is fitted again in a longer crop and covered to its bottom;
    below one that ends at 2.3 eye distances nothing is added."""
    p = synthetic_landmarks() * 4  # eyes at y 160, eye distance 120 px
    rgb = np.full((700, 400, 3), (30, 28, 32), np.uint8)  # a dark backdrop
    cv2.ellipse(rgb, (200, 250), (120, 170), 0, 0, 360, (200, 160, 140), -1)  # the face
    cv2.fillPoly(rgb, [np.array([(110, 220), (290, 220), (300, bottom - 60), (200, bottom), (100, bottom - 60)], np.int32)], (60, 170, 120))
    region = worn_mask_region(rgb, p)
    assert region[230:min(480, bottom - 70), 130:270].all(), "the mask's body"
    if reached:
        assert region[bottom - 60:bottom - 5, 190:210].all(), "down to the mask's bottom, past GrabCut's limit (y 496)"
    else:
        assert not region[bottom + 40:].any(), "nothing far below a mask that ends above the limit"


def test_a_white_hem_is_white_thin_and_lighter_than_the_skin():
    """worn_mask.white_hem: a band of white 4 px tall is a hem; a white backdrop 40 px tall is not, nor a yellow band,
    nor white no lighter than the skin's median (a pale face)."""
    rgb = np.full((120, 60, 3), (200, 160, 140), np.uint8)  # skin
    rgb[20:24] = (250, 250, 248)  # a hem
    rgb[40:80] = (250, 250, 248)  # a backdrop
    rgb[100:104] = (240, 200, 40)  # a yellow band
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32)
    skin = float(lab[0, 0, 0])
    hem = white_hem(lab, skin, 4)
    assert hem[20:24].all() and not hem[:20].any() and not hem[24:].any()
    assert not white_hem(lab, 250.0, 4).any(), "white no lighter than a pale skin"


def test_the_mask_edge_takes_a_black_mask_beside_dark_lashes_and_not_the_skin():
    """worn_mask.mask_edge: a pixel beside the region is the mask's when it is much nearer the mask's colours than the
    skin's median. The skin about the eyes holds lashes and shadows as dark as a black mask's edge (on a real photo
    its k-means colours put a dark colour nearer that edge than the mask's own)."""
    p = synthetic_landmarks() * 4  # eyes at y 160, eye distance 120 px
    rgb = np.random.default_rng(1).normal((205, 165, 145), 3, (480, 400, 3)).clip(0, 255).astype(np.uint8)
    for row in range(112, 200, 9):
        rgb[row:row + 3, 60:340] = (48, 42, 44)  # lashes, brows, shadows: a third of the skin about the eyes is dark
    rgb[250:, :] = (22, 22, 26)  # the black mask's body from y 250 down
    rgb[240:250, :] = (44, 40, 44)  # and its edge, lit a little
    box = (0, 480, 0, 400)
    crop = upright_crop(rgb, face_frame(p), box)
    mask = crop.from_box(np.arange(480)[:, None].repeat(400, axis=1) >= 250)  # what GrabCut found: the body
    found = np.zeros((480, 400), bool)
    found[250:, :] = True
    candidates = np.zeros_like(found)
    candidates[226:250, 100:300] = True  # the 10 rows of the mask's edge above the region, and 14 of skin above them
    taken = mask_edge(cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB).astype(np.float32), crop, mask, candidates, found)
    assert taken[240:250, 100:300].all(), "the mask's edge"
    assert not taken[226:240].any(), "not the skin above it"
